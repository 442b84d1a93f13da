/* own_handler: the program has its own SA_SIGINFO handler for SIGUSR1 and
 * raises SIGUSR1 itself at a fixed point (~1 s in).  Under the checkpointer
 * that raise takes a checkpoint and then the program's handler must still
 * run, exactly once per raise, also in the restored process. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>

static volatile sig_atomic_t calls;

static void on_usr1(int sig, siginfo_t *info, void *uctx)
{
    static const char ok[] = "handler called\n";
    static const char bad[] = "handler called with wrong siginfo\n";
    ssize_t r;

    (void)uctx;
    if (sig == SIGUSR1 && info && info->si_signo == SIGUSR1)
        r = write(1, ok, sizeof ok - 1);
    else
        r = write(1, bad, sizeof bad - 1);
    (void)r;
    calls++;
}

static uint64_t work(uint64_t *x, unsigned long n)
{
    uint64_t acc = 0;
    for (unsigned long i = 0; i < n; i++) {
        *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
        acc += *x >> 29;
    }
    return acc;
}

int main(void)
{
    struct sigaction sa;
    uint64_t x = 5, acc = 0;

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) != 0) {
        perror("sigaction");
        return 1;
    }
    for (int step = 0; step < 30; step++) {
        if (step == 10) {
            printf("raising SIGUSR1\n");
            fflush(stdout);
            raise(SIGUSR1);
            printf("raise returned, calls %d\n", (int)calls);
            fflush(stdout);
        }
        acc ^= work(&x, 65000000UL);
        printf("step %2d acc %016llx\n", step, (unsigned long long)acc);
        fflush(stdout);
    }
    printf("handler calls %d\n", (int)calls);
    return calls == 1 ? 0 : 1;
}
