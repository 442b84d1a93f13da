/* thr_sync: NTHREADS workers (default 8) hammer glibc's synchronisation
 * objects, in ROUNDS rounds (default 16, ~0.15-0.25 s each) of five phases:
 *   mutex    a normal mutex around a deliberately racy read-modify-write
 *   queue    a bounded producer/consumer queue on a mutex + two condvars
 *   barrier  a double-buffered stencil, one pthread_barrier_wait per step
 *   rwlock   writers rewrite a whole table, readers check it is consistent
 *   sem      a counting semaphore (at most 3 inside) and a token ring of
 *            semaphores passing the token through every thread in turn
 * The objects are created once and reused by every round, so whatever
 * phase a checkpoint lands in, all of them are used again after a restore.
 * The main thread prints one line per round (a checksum per phase, the
 * number of broken invariants) and a final checksum: every value is
 * independent of scheduling (sums, xors, serial token ring, barrier-ordered
 * stencil).  Exits 1 if an invariant broke.
 * usage: thr_sync [NTHREADS [ROUNDS]] */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define MAXT 64
/* Per round (~0.3 s with 8 threads on 2 cores, about equal per phase): */
#define MUTEX_ITERS 150000    /* lock/unlock per thread */
#define QCAP 16
#define QITEMS 3500           /* items per producer */
#define BAR_STEPS 1200        /* even: the result ends in s_a */
#define TABLE 64
#define RW_WRITES 4000        /* per writer */
#define RW_READS 50000        /* per reader */
#define SEM_ITERS 5000        /* per thread */
#define SEM_SLOTS 3
#define RING_LAPS 800

static int nthreads = 8, nrounds = 16;
static pthread_barrier_t round_bar;   /* workers + main: round start/end */
static pthread_barrier_t work_bar;    /* workers only: between phases */
static atomic_int bad;                /* broken invariants */

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static void spin(int n)
{
    for (volatile int i = 0; i < n; i++)
        ;
}

/* ---- mutex ------------------------------------------------------------- */
static pthread_mutex_t m_mtx = PTHREAD_MUTEX_INITIALIZER;
static volatile uint64_t m_count, m_sum;

static void phase_mutex(int t, int round)
{
    for (int i = 0; i < MUTEX_ITERS; i++) {
        pthread_mutex_lock(&m_mtx);
        uint64_t c = m_count, s = m_sum;   /* lost updates if not exclusive */
        spin(20);
        m_count = c + 1;
        m_sum = s + mix(((uint64_t)round << 40) ^ ((uint64_t)t << 20) ^ (uint64_t)i);
        pthread_mutex_unlock(&m_mtx);
    }
}

/* ---- condvar queue ----------------------------------------------------- */
static pthread_mutex_t q_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_notempty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_notfull = PTHREAD_COND_INITIALIZER;
static uint64_t q_buf[QCAP];
static unsigned q_head, q_len;
static long q_popped, q_total;
static uint64_t q_sum, q_xor;

static void phase_queue(int t, int round)
{
    if (t % 2 == 0) {   /* producer */
        for (int i = 0; i < QITEMS; i++) {
            uint64_t v = mix(((uint64_t)round << 48) ^ ((uint64_t)t << 24) ^ (uint64_t)i);
            pthread_mutex_lock(&q_mtx);
            while (q_len == QCAP)
                pthread_cond_wait(&q_notfull, &q_mtx);
            q_buf[(q_head + q_len) % QCAP] = v;
            q_len++;
            pthread_cond_signal(&q_notempty);
            pthread_mutex_unlock(&q_mtx);
        }
        return;
    }
    pthread_mutex_lock(&q_mtx);   /* consumer */
    for (;;) {
        while (q_len == 0 && q_popped < q_total)
            pthread_cond_wait(&q_notempty, &q_mtx);
        if (q_len == 0)
            break;
        uint64_t v = q_buf[q_head];
        q_head = (q_head + 1) % QCAP;
        q_len--;
        q_popped++;
        if (q_popped == q_total)
            pthread_cond_broadcast(&q_notempty);
        pthread_cond_signal(&q_notfull);
        pthread_mutex_unlock(&q_mtx);
        v = mix(v);
        pthread_mutex_lock(&q_mtx);
        q_sum += v;
        q_xor ^= v;
    }
    pthread_mutex_unlock(&q_mtx);
}

/* ---- barrier stencil ---------------------------------------------------- */
static pthread_barrier_t s_bar;
static uint64_t s_a[MAXT], s_b[MAXT];

static void phase_barrier(int t)
{
    uint64_t *from = s_a, *to = s_b, *tmp;
    for (int step = 0; step < BAR_STEPS; step++) {
        to[t] = mix(from[t] ^ (from[(t + 1) % nthreads] << 1) ^
                    (from[(t + nthreads - 1) % nthreads] >> 1) ^ (uint64_t)step);
        pthread_barrier_wait(&s_bar);
        tmp = from, from = to, to = tmp;
    }
}

/* ---- rwlock ------------------------------------------------------------- */
static pthread_rwlock_t rw;
static uint64_t rw_table[TABLE], rw_version;

static void phase_rwlock(int t)
{
    if (t % 4 == 0) {   /* writer */
        for (int i = 0; i < RW_WRITES; i++) {
            pthread_rwlock_wrlock(&rw);
            rw_version++;
            for (int k = 0; k < TABLE; k++) {
                rw_table[k] = mix(rw_version * TABLE + (uint64_t)k);
                spin(5);
            }
            pthread_rwlock_unlock(&rw);
        }
        return;
    }
    for (int i = 0; i < RW_READS; i++) {   /* reader */
        pthread_rwlock_rdlock(&rw);
        uint64_t v = rw_version;
        for (int k = 0; k < TABLE; k++)
            if (rw_table[k] != mix(v * TABLE + (uint64_t)k)) {
                atomic_fetch_add(&bad, 1);
                break;
            }
        pthread_rwlock_unlock(&rw);
    }
}

/* ---- semaphores ----------------------------------------------------------- */
static sem_t sem_slots, sem_ring[MAXT];
static atomic_int sem_inside;
static uint64_t ring_token;

static void sem_wait_retry(sem_t *s)
{
    while (sem_wait(s) != 0)
        if (errno != EINTR) {
            perror("sem_wait");
            exit(2);
        }
}

static void phase_sem(int t, int round)
{
    for (int i = 0; i < SEM_ITERS; i++) {
        sem_wait_retry(&sem_slots);
        if (atomic_fetch_add(&sem_inside, 1) + 1 > SEM_SLOTS)
            atomic_fetch_add(&bad, 1);
        spin(50);
        atomic_fetch_sub(&sem_inside, 1);
        sem_post(&sem_slots);
    }
    for (int lap = 0; lap < RING_LAPS; lap++) {
        sem_wait_retry(&sem_ring[t]);
        ring_token = mix(ring_token ^ ((uint64_t)round << 32) ^
                         ((uint64_t)lap << 8) ^ (uint64_t)t);
        sem_post(&sem_ring[(t + 1) % nthreads]);
    }
}

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int round = 0; round < nrounds; round++) {
        pthread_barrier_wait(&round_bar);   /* main has reset the state */
        phase_mutex(t, round);
        pthread_barrier_wait(&work_bar);
        phase_queue(t, round);
        pthread_barrier_wait(&work_bar);
        phase_barrier(t);
        pthread_barrier_wait(&work_bar);
        phase_rwlock(t);
        pthread_barrier_wait(&work_bar);
        phase_sem(t, round);
        pthread_barrier_wait(&round_bar);   /* main checks and prints */
    }
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t tids[MAXT];
    pthread_rwlockattr_t rwa;
    uint64_t total = 0;

    if (argc > 1)
        nthreads = atoi(argv[1]);
    if (argc > 2)
        nrounds = atoi(argv[2]);
    if (nthreads < 2 || nthreads > MAXT || nrounds < 1) {
        fprintf(stderr, "usage: thr_sync [NTHREADS (2..%d) [ROUNDS]]\n", MAXT);
        return 2;
    }
    pthread_barrier_init(&round_bar, NULL, (unsigned)nthreads + 1);
    pthread_barrier_init(&work_bar, NULL, (unsigned)nthreads);
    pthread_barrier_init(&s_bar, NULL, (unsigned)nthreads);
    pthread_rwlockattr_init(&rwa);
    /* Writers first: with reader preference they could starve for long. */
    pthread_rwlockattr_setkind_np(&rwa, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&rw, &rwa);
    for (int k = 0; k < TABLE; k++)
        rw_table[k] = mix((uint64_t)k);
    sem_init(&sem_slots, 0, SEM_SLOTS);
    for (int t = 0; t < nthreads; t++)
        sem_init(&sem_ring[t], 0, t == 0);

    printf("thr_sync: %d threads, %d rounds\n", nthreads, nrounds);
    fflush(stdout);
    for (int t = 0; t < nthreads; t++)
        if (pthread_create(&tids[t], NULL, worker, (void *)(intptr_t)t) != 0) {
            perror("pthread_create");
            return 2;
        }
    for (int round = 0; round < nrounds; round++) {
        m_count = m_sum = 0;
        q_head = q_len = 0;
        q_popped = 0;
        q_total = (long)((nthreads + 1) / 2) * QITEMS;
        q_sum = q_xor = 0;
        for (int t = 0; t < nthreads; t++)
            s_a[t] = mix(((uint64_t)round << 8) + (uint64_t)t);
        pthread_barrier_wait(&round_bar);
        pthread_barrier_wait(&round_bar);

        int sv, ring_ok = 1;
        if ((int)m_count != nthreads * MUTEX_ITERS)
            atomic_fetch_add(&bad, 1);
        if (q_popped != q_total || q_len != 0)
            atomic_fetch_add(&bad, 1);
        sem_getvalue(&sem_slots, &sv);
        if (sv != SEM_SLOTS)
            atomic_fetch_add(&bad, 1);
        for (int t = 0; t < nthreads; t++) {
            sem_getvalue(&sem_ring[t], &sv);
            ring_ok &= sv == (t == 0);
        }
        if (!ring_ok)
            atomic_fetch_add(&bad, 1);
        /* BAR_STEPS is even: the result is back in s_a. */
        uint64_t bar = 0;
        for (int t = 0; t < nthreads; t++)
            bar = mix(bar ^ s_a[t]);
        uint64_t rwsum = rw_version;
        for (int k = 0; k < TABLE; k++)
            rwsum = mix(rwsum ^ rw_table[k]);
        uint64_t qs = q_sum ^ (q_xor << 1);
        printf("round %2d mutex %016llx queue %016llx barrier %016llx "
               "rwlock %016llx sem %016llx bad %d\n", round,
               (unsigned long long)m_sum, (unsigned long long)qs,
               (unsigned long long)bar, (unsigned long long)rwsum,
               (unsigned long long)ring_token, atomic_load(&bad));
        fflush(stdout);
        total = mix(total ^ m_sum ^ qs ^ bar ^ rwsum ^ ring_token);
    }
    for (int t = 0; t < nthreads; t++)
        pthread_join(tids[t], NULL);
    printf("checksum %016llx bad %d\n", (unsigned long long)total, atomic_load(&bad));
    return atomic_load(&bad) ? 1 : 0;
}
