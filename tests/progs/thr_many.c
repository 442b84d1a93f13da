/* thr_many: 64 threads (argument: 1..64) compute in STEPS steps separated
 * by a barrier, each with its own per-thread state that a restore must give
 * back to the right thread:
 *  - vector registers: a loop on 4 doubles in ymm registers (AVX; else two
 *    xmm), live across the whole step;
 *  - MXCSR: thread t rounds its doubles to nearest/down/up/zero (t % 4), so
 *    its results depend on its own control register;
 *  - signal mask: a per-thread pattern of blocked signals (thread 63 blocks
 *    everything it can), checked after every step;
 *  - sigaltstack: its own, of its own size, checked after every step; at
 *    the end a SIGUSR2 to itself must run the handler on it;
 *  - a __thread variable holding its index.
 * The results are printed in thread order at the end. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXT 64
#define STEPS 10
#define TOTAL_ITERS 1100000000L   /* split over the threads: ~4 s on 2 cores */

typedef double v4d __attribute__((vector_size(32)));
typedef double v2d __attribute__((vector_size(16)));

struct st {
    v4d a, b;
};

static int nthreads = MAXT, use_avx;
static long iters_per_step;
static pthread_barrier_t bar;
static __thread int tls_index = -1;
static __thread volatile int tls_on_altstack;

static struct result {
    uint64_t bits;
    int bad_mask, bad_altstack, bad_mxcsr, bad_tls, handler_ok;
} results[MAXT];

static const int test_sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGALRM, SIGCHLD,
                                 SIGWINCH, SIGURG, SIGTSTP, SIGTTIN, SIGTTOU, SIGXCPU };
#define NSIGS (int)(sizeof test_sigs / sizeof test_sigs[0])
static const char *const rounding[] = { "nearest", "down", "up", "zero" };

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Is sig (or RT signal SIGRTMIN+k, k in 1..8) blocked in thread t's pattern? */
static int blocked_in(int t, int bit)
{
    return t == MAXT - 1 || (mix((uint64_t)t) >> bit) & 1;
}

__attribute__((target("avx"), noinline))
static void crunch_avx(struct st *s, long n)
{
    v4d a = s->a, b = s->b;
    const v4d m = { 1.00000011, 0.99999987, 1.00000003, 0.99999993 };
    const v4d k = { 1.1e-7, 3.3e-7, 0.7e-7, 2.9e-7 };
    for (long i = 0; i < n; i++) {
        a = a * m + b * k;
        b = b * m - a * k;
    }
    s->a = a, s->b = b;
}

__attribute__((noinline))
static void crunch_sse(struct st *s, long n)
{
    v2d a0, a1, b0, b1;
    const v2d m0 = { 1.00000011, 0.99999987 }, m1 = { 1.00000003, 0.99999993 };
    const v2d k0 = { 1.1e-7, 3.3e-7 }, k1 = { 0.7e-7, 2.9e-7 };
    memcpy(&a0, &s->a, 16), memcpy(&a1, (char *)&s->a + 16, 16);
    memcpy(&b0, &s->b, 16), memcpy(&b1, (char *)&s->b + 16, 16);
    for (long i = 0; i < n; i++) {
        a0 = a0 * m0 + b0 * k0;
        a1 = a1 * m1 + b1 * k1;
        b0 = b0 * m0 - a0 * k0;
        b1 = b1 * m1 - a1 * k1;
    }
    memcpy(&s->a, &a0, 16), memcpy((char *)&s->a + 16, &a1, 16);
    memcpy(&s->b, &b0, 16), memcpy((char *)&s->b + 16, &b1, 16);
}

static uint32_t get_mxcsr(void)
{
    uint32_t v;
    __asm__ volatile("stmxcsr %0" : "=m"(v));
    return v;
}

static void set_mxcsr(uint32_t v)
{
    __asm__ volatile("ldmxcsr %0" : : "m"(v));
}

static void on_usr2(int sig)
{
    char here;
    stack_t ss;
    (void)sig;
    tls_on_altstack = sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK) &&
                      &here >= (char *)ss.ss_sp && &here < (char *)ss.ss_sp + ss.ss_size;
}

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    struct result *r = &results[t];
    size_t alt_size = 64 * 1024 + (size_t)t * 4096;
    void *alt = malloc(alt_size);
    stack_t ss = { .ss_sp = alt, .ss_size = alt_size }, cur;
    sigset_t mask, now;
    uint32_t mxcsr = 0x1f80 | (uint32_t)(t % 4) << 13;
    struct st s;

    tls_index = t;
    if (!alt || sigaltstack(&ss, NULL) != 0) {
        perror("sigaltstack");
        exit(2);
    }
    sigemptyset(&mask);
    if (t == MAXT - 1)
        sigfillset(&mask);
    for (int i = 0; i < NSIGS; i++)
        if (blocked_in(t, i))
            sigaddset(&mask, test_sigs[i]);
    for (int k = 1; k <= 8; k++)
        if (blocked_in(t, NSIGS + k))
            sigaddset(&mask, SIGRTMIN + k);
    sigdelset(&mask, SIGUSR2);
    pthread_sigmask(SIG_SETMASK, &mask, NULL);
    for (int l = 0; l < 4; l++) {
        s.a[l] = 1.0 + t * 0.01 + l * 0.1;
        s.b[l] = 0.5 - t * 0.003 - l * 0.05;
    }
    set_mxcsr(mxcsr);

    for (int step = 0; step < STEPS; step++) {
        if (use_avx)
            crunch_avx(&s, iters_per_step);
        else
            crunch_sse(&s, iters_per_step);
        if ((get_mxcsr() & ~0x3fu) != mxcsr)   /* not the sticky flags */
            r->bad_mxcsr++;
        pthread_sigmask(SIG_BLOCK, NULL, &now);
        for (int i = 0; i < NSIGS; i++)
            r->bad_mask += !sigismember(&now, test_sigs[i]) != !blocked_in(t, i);
        for (int k = 1; k <= 8; k++)
            r->bad_mask += !sigismember(&now, SIGRTMIN + k) != !blocked_in(t, NSIGS + k);
        if (sigaltstack(NULL, &cur) != 0 || cur.ss_sp != alt || cur.ss_size != alt_size ||
            cur.ss_flags != 0)
            r->bad_altstack++;
        if (tls_index != t)
            r->bad_tls++;
        pthread_barrier_wait(&bar);
    }
    set_mxcsr(0x1f80);
    pthread_kill(pthread_self(), SIGUSR2);   /* handled before pthread_kill returns */
    r->handler_ok = tls_on_altstack;
    for (int l = 0; l < 4; l++) {
        uint64_t u, v;
        memcpy(&u, &s.a[l], 8);
        memcpy(&v, &s.b[l], 8);
        r->bits = mix(r->bits ^ u) ^ v;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t tids[MAXT];
    struct sigaction sa;
    int bad = 0;

    if (argc > 1)
        nthreads = atoi(argv[1]);
    if (nthreads < 1 || nthreads > MAXT) {
        fprintf(stderr, "usage: thr_many [NTHREADS (1..%d)]\n", MAXT);
        return 2;
    }
    use_avx = __builtin_cpu_supports("avx");
    iters_per_step = TOTAL_ITERS / MAXT / STEPS;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
    pthread_barrier_init(&bar, NULL, (unsigned)nthreads);

    printf("thr_many: %d threads, %s, %d steps\n", nthreads, use_avx ? "avx" : "sse2", STEPS);
    fflush(stdout);
    for (int t = 0; t < nthreads; t++)
        if (pthread_create(&tids[t], NULL, worker, (void *)(intptr_t)t) != 0) {
            perror("pthread_create");
            return 2;
        }
    for (int t = 0; t < nthreads; t++)
        pthread_join(tids[t], NULL);
    for (int t = 0; t < nthreads; t++) {
        struct result *r = &results[t];
        int ok = !r->bad_mask && !r->bad_altstack && !r->bad_mxcsr && !r->bad_tls && r->handler_ok;
        printf("thread %2d round-%-7s result %016llx mask %d altstack %d mxcsr %d tls %d "
               "handler %s\n", t, rounding[t % 4], (unsigned long long)r->bits, r->bad_mask,
               r->bad_altstack, r->bad_mxcsr, r->bad_tls, r->handler_ok ? "ok" : "BAD");
        bad |= !ok;
    }
    printf("%s\n", bad ? "per-thread state BROKEN" : "per-thread state ok");
    return bad;
}
