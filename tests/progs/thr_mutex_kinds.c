/* thr_mutex_kinds: mutexes of every kind, held most of the time so that a
 * checkpoint finds them locked (owner tid in the lock word, waiters queued)
 * and they are unlocked after the restore:
 *   normal      PTHREAD_MUTEX_NORMAL
 *   recursive   PTHREAD_MUTEX_RECURSIVE, held at depth 3
 *   errorcheck  PTHREAD_MUTEX_ERRORCHECK
 *   robust      ERRORCHECK + PTHREAD_MUTEX_ROBUST
 *   pi          ERRORCHECK + PTHREAD_PRIO_INHERIT
 *   pi_robust   RECURSIVE + PTHREAD_PRIO_INHERIT + PTHREAD_MUTEX_ROBUST
 * For each kind 3 workers lock it ITERS times and hold it ~1 ms (nanosleep)
 * around a racy increment of a counter.  The owner semantics are checked
 * all along: unlock by a non-owner fails with EPERM (tried whenever trylock
 * finds the mutex busy), relock by the owner gives EDEADLK (errorcheck) or
 * nests (recursive), a second unlock after the last one gives EPERM.  For
 * the robust kinds a driver thread creates, one after the other, DIERS
 * threads that live ~0.2 s and die holding the mutex (so one is alive at
 * any checkpoint and dies after the restore): exactly one later locker
 * must get EOWNERDEAD and make it consistent.  Output: one line per kind with the
 * counter, the owner-died count and the number of violations (all fixed). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define WORKERS 3
#define ITERS 800
#define DIERS 12
#define HOLD_NS 1000000L
#define GAP_NS 100000L
#define DIER_LIFE_NS 200000000L   /* 12 diers one after the other: ~2.5 s */

enum { NORMAL, RECURSIVE, ERRORCHECK };
static const struct {
    const char *name;
    int type, robust, pi;
} spec[] = {
    { "normal", NORMAL, 0, 0 },
    { "recursive", RECURSIVE, 0, 0 },
    { "errorcheck", ERRORCHECK, 0, 0 },
    { "robust", ERRORCHECK, 1, 0 },
    { "pi", ERRORCHECK, 0, 1 },
    { "pi_robust", RECURSIVE, 1, 1 },
};
#define NKINDS (int)(sizeof spec / sizeof spec[0])

static struct kind {
    pthread_mutex_t m;
    volatile long counter;       /* protected by m */
    atomic_long ownerdead, violations;
} kinds[NKINDS];

static void sleep_ns(long ns)
{
    struct timespec req = { 0, ns }, rem;
    while (nanosleep(&req, &rem) != 0 && errno == EINTR)
        req = rem;
}

static void violation(int k, const char *what, int got)
{
    /* stderr only: the count goes to stdout */
    fprintf(stderr, "%s: %s (got %d: %s)\n", spec[k].name, what, got, strerror(got));
    atomic_fetch_add(&kinds[k].violations, 1);
}

/* Handles EOWNERDEAD; returns 0 when the caller now holds the mutex. */
static int after_lock(int k, int r, const char *what)
{
    if (r == EOWNERDEAD && spec[k].robust) {
        atomic_fetch_add(&kinds[k].ownerdead, 1);
        r = pthread_mutex_consistent(&kinds[k].m);
        if (r != 0)
            violation(k, "pthread_mutex_consistent", r);
        return 0;
    }
    if (r != 0)
        violation(k, what, r);
    return r;
}

/* Locks kind k, first checking the non-owner rules when it is busy. */
static int lock_checked(int k)
{
    pthread_mutex_t *m = &kinds[k].m;
    int r;

    if (spec[k].type == NORMAL)
        return after_lock(k, pthread_mutex_lock(m), "lock");
    r = pthread_mutex_trylock(m);
    if (r != EBUSY)
        return after_lock(k, r, "trylock");
    r = pthread_mutex_unlock(m);   /* somebody else's: must be refused */
    if (r != EPERM)
        violation(k, "unlock by a non-owner did not fail with EPERM", r);
    return after_lock(k, pthread_mutex_lock(m), "lock");
}

/* Holding the mutex (depth 1): the owner checks, then the racy increment. */
static void critical(int k)
{
    pthread_mutex_t *m = &kinds[k].m;
    int r;

    if (spec[k].type == RECURSIVE) {
        if ((r = pthread_mutex_lock(m)) != 0)
            violation(k, "recursive relock", r);
        if ((r = pthread_mutex_trylock(m)) != 0)
            violation(k, "recursive trylock by the owner", r);
    } else if (spec[k].type == ERRORCHECK) {
        if ((r = pthread_mutex_lock(m)) != EDEADLK)
            violation(k, "relock by the owner did not give EDEADLK", r);
    }
    long c = kinds[k].counter;
    sleep_ns(HOLD_NS);
    kinds[k].counter = c + 1;
    if (spec[k].type == RECURSIVE)
        for (int i = 0; i < 2; i++)
            if ((r = pthread_mutex_unlock(m)) != 0)
                violation(k, "recursive inner unlock", r);
}

static void *worker(void *arg)
{
    int k = (int)(intptr_t)arg;
    pthread_mutex_t *m = &kinds[k].m;
    int r;

    for (int i = 0; i < ITERS; i++) {
        if (lock_checked(k) != 0)
            continue;
        critical(k);
        if ((r = pthread_mutex_unlock(m)) != 0)
            violation(k, "unlock by the owner", r);
        if (spec[k].type != NORMAL && (r = pthread_mutex_unlock(m)) != EPERM)
            violation(k, "unlock after the last unlock did not give EPERM", r);
        sleep_ns(GAP_NS);
    }
    return NULL;
}

/* Lives a while (so that one is alive whenever a checkpoint comes, and dies
 * after the restore: its robust list must have been registered again),
 * then takes the (robust) mutex and exits without unlocking it. */
static void *dier(void *arg)
{
    int k = (int)(intptr_t)arg;
    sleep_ns(DIER_LIFE_NS);
    if (after_lock(k, pthread_mutex_lock(&kinds[k].m), "lock in the dier") != 0)
        return NULL;
    long c = kinds[k].counter;
    sleep_ns(5 * HOLD_NS);
    kinds[k].counter = c + 1;
    pthread_exit(NULL);   /* still the owner: the kernel marks it dead */
}

static void *driver(void *arg)
{
    int k = (int)(intptr_t)arg;
    for (int d = 0; d < DIERS; d++) {
        pthread_t t;
        if (pthread_create(&t, NULL, dier, arg) != 0 || pthread_join(t, NULL) != 0)
            violation(k, "create/join of a dier", 0);
    }
    return NULL;
}

int main(void)
{
    pthread_t workers[NKINDS][WORKERS], drivers[NKINDS];
    int bad = 0;

    for (int k = 0; k < NKINDS; k++) {
        pthread_mutexattr_t a;
        static const int types[] = { PTHREAD_MUTEX_NORMAL, PTHREAD_MUTEX_RECURSIVE,
                                     PTHREAD_MUTEX_ERRORCHECK };
        pthread_mutexattr_init(&a);
        pthread_mutexattr_settype(&a, types[spec[k].type]);
        if (spec[k].robust)
            pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
        if (spec[k].pi)
            pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
        if (pthread_mutex_init(&kinds[k].m, &a) != 0) {
            fprintf(stderr, "pthread_mutex_init failed for %s\n", spec[k].name);
            return 2;
        }
        pthread_mutexattr_destroy(&a);
    }
    printf("thr_mutex_kinds: %d kinds x %d workers x %d iterations\n", NKINDS, WORKERS, ITERS);
    fflush(stdout);
    for (int k = 0; k < NKINDS; k++) {
        for (int w = 0; w < WORKERS; w++)
            pthread_create(&workers[k][w], NULL, worker, (void *)(intptr_t)k);
        if (spec[k].robust)
            pthread_create(&drivers[k], NULL, driver, (void *)(intptr_t)k);
    }
    for (int k = 0; k < NKINDS; k++) {
        for (int w = 0; w < WORKERS; w++)
            pthread_join(workers[k][w], NULL);
        if (spec[k].robust)
            pthread_join(drivers[k], NULL);
    }
    for (int k = 0; k < NKINDS; k++) {
        /* The last death may not have been seen by anybody yet. */
        if (lock_checked(k) == 0) {
            int r = pthread_mutex_unlock(&kinds[k].m);
            if (r != 0)
                violation(k, "final unlock", r);
        }
        long want = (long)WORKERS * ITERS + (spec[k].robust ? DIERS : 0);
        long dead = atomic_load(&kinds[k].ownerdead);
        long viol = atomic_load(&kinds[k].violations);
        printf("%-10s counter %ld (%s) owner-died %ld violations %ld\n", spec[k].name,
               kinds[k].counter, kinds[k].counter == want ? "ok" : "WRONG", dead, viol);
        bad |= kinds[k].counter != want || viol != 0 || dead != (spec[k].robust ? DIERS : 0);
        pthread_mutex_destroy(&kinds[k].m);
    }
    printf("%s\n", bad ? "mutexes BROKEN" : "mutexes ok");
    return bad;
}
