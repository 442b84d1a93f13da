/* thr_blocking: while the main thread computes (~3 s), every other thread
 * sits in a different blocking call: a raw futex wait, nanosleep,
 * clock_nanosleep(TIMER_ABSTIME), poll with no fds, sigwaitinfo,
 * sigsuspend, pthread_cond_wait, pthread_mutex_lock, pthread_rwlock_wrlock,
 * sem_wait, pthread_barrier_wait (two threads), pthread_join, and one thread
 * is inside its own SIGUSR2 handler (on its sigaltstack), interrupted in the
 * middle of a computation.  A checkpoint must stop them all where they are;
 * after the restore they stay blocked until the main thread releases them,
 * in a fixed order, each with a value it reports.  The calls that a signal
 * interrupts with EINTR are retried, as real programs do. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#define MAIN_STEPS 36
#define MAIN_ITERS 60000000UL    /* ~0.08 s per step */
#define HANDLER_ITERS 3000000UL

enum { T_FUTEX, T_NANOSLEEP, T_ABSSLEEP, T_POLL, T_SIGWAIT, T_SIGSUSPEND, T_COND,
       T_MUTEX, T_RWLOCK, T_SEM, T_BARRIER1, T_BARRIER2, T_JOIN, T_HANDLER, NT };
static const char *const names[NT] = {
    "futex", "nanosleep", "clock_nanosleep", "poll", "sigwaitinfo", "sigsuspend",
    "cond_wait", "mutex_lock", "rwlock_wrlock", "sem_wait", "barrier#1", "barrier#2",
    "join", "signal_handler",
};

static pthread_t th[NT];
static uint64_t result[NT];
static atomic_int arrived;
static atomic_int released;            /* for the sleeping/polling threads */
static uint32_t futex_word;
static pthread_mutex_t c_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c_cond = PTHREAD_COND_INITIALIZER;
static int c_ready;
static uint64_t c_value;
static pthread_mutex_t m_mtx = PTHREAD_MUTEX_INITIALIZER;
static uint64_t m_value;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static uint64_t rw_value;
static sem_t sem;
static pthread_barrier_t bar;
static uint64_t bar_value;
static volatile sig_atomic_t suspend_flag;
static atomic_int in_handler, handler_done;
static uint64_t handler_value;
static volatile int altstack_ok[2];   /* at the start and the end of the handler */
#define SIG_WAITED (SIGRTMIN + 5)
#define SIG_SUSPEND (SIGRTMIN + 6)

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static void die(const char *what, int err)
{
    fprintf(stderr, "thr_blocking: %s: %s\n", what, strerror(err));
    exit(2);
}

static void rel_sleep(long ns)
{
    struct timespec req = { ns / 1000000000L, ns % 1000000000L }, rem;
    while (nanosleep(&req, &rem) != 0) {
        if (errno != EINTR)
            die("nanosleep", errno);
        req = rem;
    }
}

static void on_suspend_sig(int sig)
{
    (void)sig;
    suspend_flag = 1;
}

/* Runs for as long as the main thread computes, then finishes its own
 * computation; the interrupted one continues after it returns. */
/* The handler runs on the thread's sigaltstack, also after a restore. */
static int on_altstack(void)
{
    char here;
    stack_t ss;
    return sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK) &&
           &here >= (char *)ss.ss_sp && &here < (char *)ss.ss_sp + ss.ss_size;
}

static void on_usr2(int sig)
{
    double d = 1.0;
    uint64_t x = 77;

    (void)sig;
    atomic_store(&in_handler, 1);
    altstack_ok[0] = on_altstack();
    for (unsigned long i = 0; i < HANDLER_ITERS; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        d = d * 1.0000001 + (double)(x >> 60);
        if (i % 100000 == 0)
            while (!atomic_load(&released)) {
                struct timespec ts = { 0, 1000000L };
                nanosleep(&ts, NULL);   /* async-signal-safe */
            }
    }
    altstack_ok[1] = on_altstack();
    handler_value = x ^ (uint64_t)d;
    atomic_store(&handler_done, 1);
}

static void *blocker(void *arg)
{
    int k = (int)(intptr_t)arg;
    int r;

    switch (k) {
    case T_FUTEX:
        atomic_fetch_add(&arrived, 1);
        while (__atomic_load_n(&futex_word, __ATOMIC_ACQUIRE) == 0)
            syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
        result[k] = futex_word;
        break;
    case T_NANOSLEEP:
        atomic_fetch_add(&arrived, 1);
        while (!atomic_load(&released))
            rel_sleep(200000000L);
        result[k] = 1;
        break;
    case T_ABSSLEEP: {
        struct timespec t;
        atomic_fetch_add(&arrived, 1);
        clock_gettime(CLOCK_MONOTONIC, &t);
        while (!atomic_load(&released)) {
            t.tv_nsec += 150000000L;
            if (t.tv_nsec >= 1000000000L)
                t.tv_sec++, t.tv_nsec -= 1000000000L;
            while ((r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL)) == EINTR)
                ;
            if (r != 0)
                die("clock_nanosleep", r);
        }
        result[k] = 2;
        break;
    }
    case T_POLL:
        atomic_fetch_add(&arrived, 1);
        while (!atomic_load(&released))
            if (poll(NULL, 0, 150) < 0 && errno != EINTR)
                die("poll", errno);
        result[k] = 3;
        break;
    case T_SIGWAIT: {
        sigset_t set;
        siginfo_t si;
        sigemptyset(&set);
        sigaddset(&set, SIG_WAITED);   /* blocked in this thread since creation */
        atomic_fetch_add(&arrived, 1);
        while ((r = sigwaitinfo(&set, &si)) < 0)
            if (errno != EINTR)
                die("sigwaitinfo", errno);
        result[k] = r == SIG_WAITED && si.si_code == SI_QUEUE ? (uint64_t)si.si_value.sival_int : 0;
        break;
    }
    case T_SIGSUSPEND: {
        sigset_t old;
        sigprocmask(SIG_SETMASK, NULL, &old);   /* SIG_SUSPEND blocked */
        sigdelset(&old, SIG_SUSPEND);
        atomic_fetch_add(&arrived, 1);
        while (!suspend_flag)
            sigsuspend(&old);
        result[k] = 5;
        break;
    }
    case T_COND:
        pthread_mutex_lock(&c_mtx);
        atomic_fetch_add(&arrived, 1);
        while (!c_ready)
            pthread_cond_wait(&c_cond, &c_mtx);
        result[k] = c_value;
        pthread_mutex_unlock(&c_mtx);
        break;
    case T_MUTEX:
        atomic_fetch_add(&arrived, 1);
        pthread_mutex_lock(&m_mtx);
        result[k] = m_value;
        pthread_mutex_unlock(&m_mtx);
        break;
    case T_RWLOCK:
        atomic_fetch_add(&arrived, 1);
        pthread_rwlock_wrlock(&rw);
        result[k] = rw_value;
        pthread_rwlock_unlock(&rw);
        break;
    case T_SEM:
        atomic_fetch_add(&arrived, 1);
        while (sem_wait(&sem) != 0)
            if (errno != EINTR)
                die("sem_wait", errno);
        sem_getvalue(&sem, &r);
        result[k] = 100 + (uint64_t)r;
        break;
    case T_BARRIER1:
    case T_BARRIER2:
        atomic_fetch_add(&arrived, 1);
        pthread_barrier_wait(&bar);
        result[k] = bar_value;
        break;
    case T_JOIN: {
        void *ret;
        atomic_fetch_add(&arrived, 1);
        if ((r = pthread_join(th[T_NANOSLEEP], &ret)) != 0)
            die("pthread_join", r);
        result[k] = 1000 + (uintptr_t)ret;
        break;
    }
    case T_HANDLER: {
        static unsigned char altstack[256 * 1024];
        stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
        uint64_t x = 5, y = 0;
        double d = 0.5;
        if (sigaltstack(&ss, NULL) != 0)
            die("sigaltstack", errno);
        for (unsigned long i = 0; i < HANDLER_ITERS; i++) {
            x = x * 2862933555777941757ULL + 3037000493ULL;
            d = d * 0.9999999 + (double)(x >> 61);
        }
        atomic_fetch_add(&arrived, 1);
        /* x and d stay live in registers while SIGUSR2 (from main) comes
         * in here; its handler runs until main's computation is over. */
        while (!atomic_load(&handler_done))
            y = mix(y);
        for (unsigned long i = 0; i < HANDLER_ITERS; i++) {
            x = x * 2862933555777941757ULL + 3037000493ULL;
            d = d * 0.9999999 + (double)(x >> 61);
        }
        result[k] = mix(x ^ (uint64_t)d ^ handler_value) >> 16;
        break;
    }
    }
    return (void *)(intptr_t)k;
}

int main(void)
{
    struct sigaction sa;
    sigset_t rt, old;
    uint64_t x = 1, acc = 0;
    int r;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sa.sa_flags = SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
    sa.sa_handler = on_suspend_sig;
    sa.sa_flags = 0;
    sigaction(SIG_SUSPEND, &sa, NULL);
    sem_init(&sem, 0, 0);
    pthread_barrier_init(&bar, NULL, 3);

    /* Held by main while it computes. */
    pthread_mutex_lock(&m_mtx);
    pthread_rwlock_rdlock(&rw);

    /* Threads inherit the mask: the two RT signals are blocked in all of
     * them, so that only the waiting threads take them. */
    sigemptyset(&rt);
    sigaddset(&rt, SIG_WAITED);
    sigaddset(&rt, SIG_SUSPEND);
    pthread_sigmask(SIG_BLOCK, &rt, &old);
    for (int k = 0; k < NT; k++)
        if ((r = pthread_create(&th[k], NULL, blocker, (void *)(intptr_t)k)) != 0)
            die("pthread_create", r);
    while (atomic_load(&arrived) < NT)
        rel_sleep(1000000L);
    pthread_kill(th[T_HANDLER], SIGUSR2);
    while (!atomic_load(&in_handler))
        rel_sleep(1000000L);
    rel_sleep(20000000L);   /* let every thread reach its blocking call */
    printf("thr_blocking: %d threads blocked, main computing\n", NT);
    fflush(stdout);

    for (int step = 0; step < MAIN_STEPS; step++) {
        for (unsigned long i = 0; i < MAIN_ITERS; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            acc += x >> 29;
        }
        if (step % 5 == 4) {
            printf("main step %2d acc %016llx\n", step, (unsigned long long)acc);
            fflush(stdout);
        }
    }

    /* Release everybody, in a fixed order. */
    __atomic_store_n(&futex_word, 0x1234, __ATOMIC_RELEASE);
    syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    atomic_store(&released, 1);
    pthread_sigqueue(th[T_SIGWAIT], SIG_WAITED, (union sigval){ .sival_int = 4444 });
    pthread_kill(th[T_SIGSUSPEND], SIG_SUSPEND);
    pthread_mutex_lock(&c_mtx);
    c_value = 6666;
    c_ready = 1;
    pthread_cond_signal(&c_cond);
    pthread_mutex_unlock(&c_mtx);
    m_value = 7777;
    pthread_mutex_unlock(&m_mtx);
    rw_value = 8888;
    pthread_rwlock_unlock(&rw);
    sem_post(&sem);
    bar_value = 9999;
    pthread_barrier_wait(&bar);

    for (int k = 0; k < NT; k++) {
        void *ret;
        if (k == T_NANOSLEEP)
            continue;   /* joined by T_JOIN */
        if ((r = pthread_join(th[k], &ret)) != 0)
            die("pthread_join", r);
        if ((intptr_t)ret != k)
            result[k] = 0;
    }
    for (int k = 0; k < NT; k++)
        printf("%-16s woken, result %llu\n", names[k], (unsigned long long)result[k]);
    printf("handler on its sigaltstack: at start %s, at end %s\n",
           altstack_ok[0] ? "yes" : "NO", altstack_ok[1] ? "yes" : "NO");
    printf("main acc %016llx\n", (unsigned long long)acc);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return 0;
}
