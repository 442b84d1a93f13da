/* clocks: samples time(), CLOCK_REALTIME and CLOCK_MONOTONIC before and
 * during a ~3 s compute loop and checks them afterwards (a restored process
 * must still read sane clocks, e.g. through the vDSO).  Nothing
 * time-dependent is printed: only "clocks ok" or the kind of error. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <time.h>

#define STEPS 30
#define MIN_EPOCH 1704067200L   /* 2024-01-01T00:00:00Z */

struct sample {
    time_t t;
    struct timespec rt, mono;
    int rc_rt, rc_mono;
};

static void take(struct sample *s)
{
    s->t = time(NULL);
    s->rc_rt = clock_gettime(CLOCK_REALTIME, &s->rt);
    s->rc_mono = clock_gettime(CLOCK_MONOTONIC, &s->mono);
}

static double secs(const struct timespec *ts)
{
    return (double)ts->tv_sec + ts->tv_nsec * 1e-9;
}

/* Returns an error description, or NULL if the sample is plausible. */
static const char *check(const struct sample *s, const struct sample *prev)
{
    if (s->rc_rt != 0 || s->rc_mono != 0)
        return "clock_gettime failed";
    if (s->rt.tv_nsec < 0 || s->rt.tv_nsec >= 1000000000L ||
        s->mono.tv_nsec < 0 || s->mono.tv_nsec >= 1000000000L)
        return "tv_nsec out of range";
    if (s->t < MIN_EPOCH || s->rt.tv_sec < MIN_EPOCH)
        return "realtime before 2024";
    if (s->mono.tv_sec < 0)
        return "negative monotonic time";
    /* time() and CLOCK_REALTIME must agree (both read the same clock). */
    if (s->t < s->rt.tv_sec - 2 || s->t > s->rt.tv_sec + 2)
        return "time() disagrees with CLOCK_REALTIME";
    if (prev && secs(&s->rt) < secs(&prev->rt) - 1.0)
        return "realtime went backwards by more than 1 s";
    return NULL;
}

int main(void)
{
    struct sample samples[STEPS + 1];
    uint64_t x = 3, acc = 0;

    take(&samples[0]);
    for (int step = 0; step < STEPS; step++) {
        for (unsigned long i = 0; i < 80000000UL; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            acc += x >> 31;
        }
        take(&samples[step + 1]);
        printf("step %2d acc %016llx\n", step, (unsigned long long)acc);
        fflush(stdout);
    }
    for (int i = 0; i <= STEPS; i++) {
        const char *err = check(&samples[i], i ? &samples[i - 1] : NULL);
        if (err) {
            printf("clocks error at sample %d: %s\n", i, err);
            return 1;
        }
    }
    printf("clocks ok\n");
    return 0;
}
