/* thr_lifecycle: threads being born and dying during the whole run, and
 * glibc's per-thread bookkeeping checked all along (~3 s):
 *  - LONG long-lived threads compute in steps and check at every step that
 *    pthread_self() equals the pthread_t their creator got, that gettid()
 *    has not changed, that their __thread variables and pthread key value
 *    are theirs, and that the stack pointer lies in the stack that
 *    pthread_getattr_np reports.  The main thread pthread_kill()s each of
 *    them PINGS times with SIGUSR2; the handler counts in a __thread
 *    variable and acknowledges, so a signal reaching the wrong thread is
 *    seen.
 *  - a spawner thread creates BATCHES batches of short threads: joined ones
 *    (one on a user-supplied stack, one with a small stack size), detached
 *    ones (by attribute and by pthread_detach), one cancelled in
 *    pthread_cond_wait and one cancelled asynchronously while computing
 *    (cleanup handlers count).  Each checks its fresh __thread values and
 *    sets a pthread key whose destructor adds to a sum.
 *  - at the end (after a restore) new threads are created with a new key
 *    and pthread_once.
 * Everything printed is a count or a sum fixed by the loop bounds. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#define LONG 4
#define PINGS 120
#define BATCHES 300
#define LATE 16
#define SMALL_STACK (64 * 1024)
#define USER_STACK (256 * 1024)

static atomic_long violations;
static __thread long tls_init = 5;     /* .tdata */
static __thread long tls_zero;         /* .tbss */
static __thread int tls_index = -1;
static __thread volatile sig_atomic_t tls_hits;

static pthread_key_t key, late_key;
static atomic_ulong destructor_sum, late_sum;
static atomic_long detached_left, cleanups;

static void bad(const char *what, long idx)
{
    fprintf(stderr, "violation: %s (%ld)\n", what, idx);
    atomic_fetch_add(&violations, 1);
}

static void sleep_ns(long ns)
{
    struct timespec req = { ns / 1000000000L, ns % 1000000000L }, rem;
    while (nanosleep(&req, &rem) != 0 && errno == EINTR)
        req = rem;
}

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static long gettid_raw(void)
{
    return syscall(SYS_gettid);
}

/* The stack pointer is inside the stack glibc describes for this thread. */
static int sp_in_own_stack(void)
{
    pthread_attr_t a;
    void *addr;
    size_t size;
    char here;
    int ok;

    if (pthread_getattr_np(pthread_self(), &a) != 0)
        return 0;
    pthread_attr_getstack(&a, &addr, &size);
    pthread_attr_destroy(&a);
    ok = &here >= (char *)addr && &here < (char *)addr + size;
    return ok;
}

/* ---- keys ------------------------------------------------------------- */
struct keyval {
    uint64_t value;
    int detached;   /* the destructor is the last thing a detached thread does */
};

static void key_destructor(void *p)
{
    struct keyval *kv = p;
    atomic_fetch_add(&destructor_sum, kv->value);
    if (kv->detached)
        atomic_fetch_sub(&detached_left, 1);
    free(kv);
}

static void set_key(uint64_t value, int detached)
{
    struct keyval *kv = malloc(sizeof *kv);
    kv->value = value;
    kv->detached = detached;
    if (pthread_setspecific(key, kv) != 0)
        bad("pthread_setspecific", (long)value);
}

/* Fresh thread: TLS must hold the initial image, the key must be unset. */
static void check_fresh(long idx)
{
    if (tls_init != 5 || tls_zero != 0 || tls_index != -1 || tls_hits != 0)
        bad("fresh __thread values", idx);
    if (pthread_getspecific(key) != NULL)
        bad("fresh key value", idx);
    tls_init = idx;
    tls_zero = ~idx;
}

/* ---- long-lived threads ----------------------------------------------- */
static pthread_t long_ids[LONG];
static atomic_int long_ready;
static atomic_int acked[LONG];
static atomic_int stop_long;

static void on_usr2(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (sig != SIGUSR2 || si->si_code != SI_TKILL || tls_index < 0 || tls_index >= LONG) {
        atomic_fetch_add(&violations, 1);
        return;
    }
    tls_hits++;
    atomic_store(&acked[tls_index], tls_hits);
}

static void *long_thread(void *arg)
{
    int i = (int)(intptr_t)arg;
    long tid = gettid_raw();
    uint64_t x = (uint64_t)i, steps = 0;
    struct keyval *mine;

    check_fresh(i);
    tls_index = i;
    set_key(1000 + (uint64_t)i, 0);
    mine = pthread_getspecific(key);
    atomic_fetch_add(&long_ready, 1);
    while (!atomic_load(&stop_long)) {
        for (int k = 0; k < 200000; k++)
            x = mix(x);
        steps++;
        if (!pthread_equal(pthread_self(), long_ids[i]))
            bad("pthread_self() differs from pthread_create's id", i);
        if (gettid_raw() != tid)
            bad("gettid() changed", i);
        if (tls_init != i || tls_zero != ~(long)i || tls_index != i)
            bad("__thread values of a long-lived thread", i);
        if (pthread_getspecific(key) != mine || mine->value != 1000 + (uint64_t)i)
            bad("key value of a long-lived thread", i);
        if (!sp_in_own_stack())
            bad("stack pointer outside the thread's stack", i);
        sleep_ns(2000000L);
    }
    if (tls_hits != PINGS)
        bad("pthread_kill signals received", i);
    return (void *)(uintptr_t)(i + 1);
}

/* ---- short-lived threads ------------------------------------------------ */
static pthread_mutex_t never_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never_cond = PTHREAD_COND_INITIALIZER;
static unsigned char user_stack[USER_STACK] __attribute__((aligned(64)));

static void *joined_thread(void *arg)
{
    long idx = (long)(intptr_t)arg;
    uint64_t x = (uint64_t)idx;
    check_fresh(idx);
    for (int k = 0; k < 3000; k++)
        x = mix(x);
    set_key((uint64_t)idx, 0);
    if (!sp_in_own_stack())
        bad("stack pointer outside a short thread's stack", idx);
    /* the creator compares this with the id pthread_create gave it */
    return (void *)pthread_self();
}

static void *detached_thread(void *arg)
{
    long idx = (long)(intptr_t)arg;
    uint64_t x = (uint64_t)idx;
    check_fresh(idx);
    for (int k = 0; k < 3000; k++)
        x = mix(x);
    set_key((uint64_t)idx, 1);
    return NULL;
}

static void count_cleanup(void *m)
{
    atomic_fetch_add(&cleanups, 1);
    if (m)
        pthread_mutex_unlock(m);
}

/* The cancel targets are cancelled once they are ready (cleanup handler
 * pushed), so the cancel always acts in their final loop. */
static atomic_int targets_ready;

static void *cond_cancel_thread(void *arg)
{
    long idx = (long)(intptr_t)arg;
    check_fresh(idx);
    set_key((uint64_t)idx, 0);
    pthread_mutex_lock(&never_mtx);
    pthread_cleanup_push(count_cleanup, &never_mtx);
    atomic_fetch_add(&targets_ready, 1);
    for (;;)
        pthread_cond_wait(&never_cond, &never_mtx);   /* cancellation point */
    pthread_cleanup_pop(1);
    return NULL;
}

static void *async_cancel_thread(void *arg)
{
    long idx = (long)(intptr_t)arg;
    volatile uint64_t x = (uint64_t)idx;
    check_fresh(idx);
    set_key((uint64_t)idx, 0);
    pthread_cleanup_push(count_cleanup, NULL);
    pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
    atomic_fetch_add(&targets_ready, 1);
    for (;;)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    pthread_cleanup_pop(1);
    return NULL;
}

static long n_joined, n_detached, n_cancelled;
static uint64_t expect_sum;

static void join_expect(pthread_t t, void *want, long idx)
{
    void *ret;
    int r = pthread_join(t, &ret);
    if (r != 0)
        bad("pthread_join", idx);
    else if (ret != want)
        bad("pthread_join result", idx);
}

static void *spawner(void *arg)
{
    pthread_attr_t a_user, a_small, a_detached;
    (void)arg;
    pthread_attr_init(&a_user);
    pthread_attr_setstack(&a_user, user_stack, sizeof user_stack);
    pthread_attr_init(&a_small);
    pthread_attr_setstacksize(&a_small, SMALL_STACK);
    pthread_attr_init(&a_detached);
    pthread_attr_setdetachstate(&a_detached, PTHREAD_CREATE_DETACHED);

    for (long b = 0; b < BATCHES; b++) {
        pthread_t t[6];
        long base = 10000 + b * 10;
        int r = 0;

        atomic_fetch_add(&detached_left, 2);
        r |= pthread_create(&t[0], &a_user, joined_thread, (void *)(intptr_t)(base + 0));
        r |= pthread_create(&t[1], &a_small, joined_thread, (void *)(intptr_t)(base + 1));
        r |= pthread_create(&t[2], &a_detached, detached_thread, (void *)(intptr_t)(base + 2));
        r |= pthread_create(&t[3], NULL, detached_thread, (void *)(intptr_t)(base + 3));
        r |= pthread_detach(t[3]);
        r |= pthread_create(&t[4], NULL, cond_cancel_thread, (void *)(intptr_t)(base + 4));
        r |= pthread_create(&t[5], NULL, async_cancel_thread, (void *)(intptr_t)(base + 5));
        if (r != 0) {
            bad("pthread_create/pthread_detach", b);
            exit(2);
        }
        for (int k = 0; k < 6; k++)
            expect_sum += (uint64_t)(base + k);
        while (atomic_load(&targets_ready) < 2)
            sleep_ns(200000L);
        atomic_store(&targets_ready, 0);
        sleep_ns(2000000L);
        if (pthread_cancel(t[4]) != 0 || pthread_cancel(t[5]) != 0)
            bad("pthread_cancel", b);
        join_expect(t[0], (void *)t[0], base);
        join_expect(t[1], (void *)t[1], base + 1);
        join_expect(t[4], PTHREAD_CANCELED, base + 4);
        join_expect(t[5], PTHREAD_CANCELED, base + 5);
        n_joined += 2;
        n_detached += 2;
        n_cancelled += 2;
        sleep_ns(7000000L);
    }
    return NULL;
}

/* ---- late threads --------------------------------------------------------- */
static pthread_once_t late_once = PTHREAD_ONCE_INIT;
static atomic_int once_calls;

static void late_init(void)
{
    atomic_fetch_add(&once_calls, 1);
}

static void late_destructor(void *p)
{
    atomic_fetch_add(&late_sum, (uintptr_t)p);
}

static void *late_thread(void *arg)
{
    long idx = (long)(intptr_t)arg;
    uint64_t x = (uint64_t)idx;
    check_fresh(idx);
    pthread_once(&late_once, late_init);
    for (int k = 0; k < 100000; k++)
        x = mix(x);
    pthread_setspecific(late_key, (void *)(uintptr_t)(idx + 1));
    set_key((uint64_t)idx, 0);
    return (void *)(uintptr_t)(x & 0xffff);
}

int main(void)
{
    struct sigaction sa;
    pthread_t sp, late[LATE];
    uint64_t late_x = 0;
    long main_tid = gettid_raw();

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr2;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, NULL);
    pthread_key_create(&key, key_destructor);

    printf("thr_lifecycle: %d long-lived threads, %d pings, %d batches of 6, %d late threads\n",
           LONG, PINGS, BATCHES, LATE);
    fflush(stdout);
    for (int i = 0; i < LONG; i++)
        if (pthread_create(&long_ids[i], NULL, long_thread, (void *)(intptr_t)i) != 0)
            return 2;
    if (pthread_create(&sp, NULL, spawner, NULL) != 0)
        return 2;
    while (atomic_load(&long_ready) < LONG)
        sleep_ns(1000000L);

    for (int p = 1; p <= PINGS; p++) {
        for (int i = 0; i < LONG; i++) {
            if (pthread_kill(long_ids[i], SIGUSR2) != 0)
                bad("pthread_kill", i);
            while (atomic_load(&acked[i]) != p)
                sleep_ns(200000L);
        }
        if (p % 20 == 0) {
            printf("pings %d acknowledged\n", p);
            fflush(stdout);
        }
        sleep_ns(25000000L);
    }
    pthread_join(sp, NULL);
    atomic_store(&stop_long, 1);
    for (int i = 0; i < LONG; i++)
        join_expect(long_ids[i], (void *)(uintptr_t)(i + 1), i);
    while (atomic_load(&detached_left) != 0)
        sleep_ns(1000000L);
    for (int i = 0; i < LONG; i++)
        expect_sum += 1000 + (uint64_t)i;
    printf("spawner: %ld joined, %ld detached, %ld cancelled, %ld cleanups\n",
           n_joined, n_detached, n_cancelled, atomic_load(&cleanups));
    printf("key destructors: sum %s\n",
           atomic_load(&destructor_sum) == expect_sum ? "ok" : "WRONG");

    /* After the restore: a new key, pthread_once, new threads. */
    pthread_key_create(&late_key, late_destructor);
    uint64_t before = atomic_load(&destructor_sum);
    for (int i = 0; i < LATE; i++)
        if (pthread_create(&late[i], NULL, late_thread, (void *)(intptr_t)(20000 + i)) != 0)
            return 2;
    for (int i = 0; i < LATE; i++) {
        void *r;
        pthread_join(late[i], &r);
        late_x = mix(late_x ^ (uintptr_t)r);
    }
    uint64_t want_late = 0, want_key = 0;
    for (int i = 0; i < LATE; i++) {
        want_late += (uint64_t)(20000 + i + 1);
        want_key += (uint64_t)(20000 + i);
    }
    printf("late threads: result %016llx, once %d, late key %s, key %s\n",
           (unsigned long long)late_x, atomic_load(&once_calls),
           atomic_load(&late_sum) == want_late ? "ok" : "WRONG",
           atomic_load(&destructor_sum) - before == want_key ? "ok" : "WRONG");
    if (gettid_raw() != main_tid)
        bad("gettid() of the main thread changed", 0);
    if (!sp_in_own_stack())
        bad("main stack pointer outside its stack", 0);
    printf("violations %ld\n", atomic_load(&violations));
    return atomic_load(&violations) != 0;
}
