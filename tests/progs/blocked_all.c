/* blocked_all: blocks every signal with sigprocmask and then only computes.
 * The checkpointer must keep its own trigger (SIGUSR1) deliverable, so an
 * external SIGUSR1 still checkpoints this program. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <signal.h>

int main(void)
{
    sigset_t all;
    uint64_t x = 11, acc = 0;
    double f = 0.0;

    sigfillset(&all);
    if (sigprocmask(SIG_BLOCK, &all, NULL) != 0) {
        perror("sigprocmask");
        return 1;
    }
    for (int step = 0; step < 30; step++) {
        for (unsigned long i = 0; i < 25000000UL; i++) {
            x = x * 2862933555777941757ULL + 3037000493ULL;
            acc += x >> 33;
            f += (double)(x >> 52) * 0.001;
        }
        printf("step %2d acc %016llx f %.3f\n", step, (unsigned long long)acc, f);
        fflush(stdout);
    }
    printf("done\n");
    return 0;
}
