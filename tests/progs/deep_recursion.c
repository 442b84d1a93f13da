/* deep_recursion: computes for ~2 s with a shallow stack (the checkpoint
 * lands here), then recurses ~6.5 MB deep, i.e. far beyond the stack pages
 * that existed at checkpoint time but within the default 8 MB RLIMIT_STACK.
 * The restored process must still be able to grow its stack. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>

#define FRAME 1024        /* bytes of locals per level */
#define DEPTH 6400        /* ~6.5 MB with call overhead */
#define ROUNDS 200

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 16;
}

/* Not a tail call: the local buffer is read after the recursive call, so
 * every level keeps its frame alive. */
static uint64_t recurse(int depth, uint64_t seed)
{
    volatile unsigned char buf[FRAME];
    uint64_t s = seed, r;

    for (int i = 0; i < FRAME; i += 8)
        buf[i] = (unsigned char)lcg(&s);
    if (depth == 0)
        return s;
    r = recurse(depth - 1, s ^ (uint64_t)depth);
    for (int i = 0; i < FRAME; i += 8)
        r = r * 131 + buf[i];
    return r;
}

int main(void)
{
    uint64_t s = 99, acc = 0;
    struct rlimit rl;

    /* The depth is chosen for the default 8 MB limit; skip if lower. */
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < (rlim_t)7680 * 1024) {
        fprintf(stderr, "RLIMIT_STACK below 7.5 MB: skipping\n");
        return 77;
    }

    for (int step = 0; step < 15; step++) {
        for (unsigned long i = 0; i < 130000000UL; i++)
            acc += lcg(&s) ^ i;
        printf("compute step %2d acc %016llx\n", step, (unsigned long long)acc);
        fflush(stdout);
    }
    for (int round = 0; round < ROUNDS; round++) {
        uint64_t r = recurse(DEPTH, acc + (uint64_t)round);
        acc ^= r;
        if (round % 20 == 19) {
            printf("recursion round %2d depth %d result %016llx\n", round,
                   DEPTH, (unsigned long long)r);
            fflush(stdout);
        }
    }
    printf("final %016llx\n", (unsigned long long)acc);
    return 0;
}
