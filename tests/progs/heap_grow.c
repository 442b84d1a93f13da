/* heap_grow: small heap + compute first (the checkpoint lands there), then
 * grows the heap by ~300 MB in many sizes (brk-served small blocks and a few
 * large blocks that glibc serves with mmap), fills, checksums, frees some,
 * allocates again.  Checks that the restored process can keep allocating. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NSMALL 20000          /* blocks of 1..~23 KB: ~230 MB in total */
#define NBIG 6                /* 12 MB each: above the mmap threshold */
#define BIG_SIZE (12UL << 20)

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 16;
}

/* Fill a block with a pattern derived from seed; return its checksum. */
static uint64_t fill(unsigned char *p, size_t n, uint64_t seed)
{
    uint64_t s = seed, sum = 0;
    for (size_t i = 0; i < n; i++) {
        if ((i & 7) == 0)
            lcg(&s);
        p[i] = (unsigned char)(s >> ((i & 7) * 8));
        sum = sum * 31 + p[i];
    }
    return sum;
}

static uint64_t sum_block(const unsigned char *p, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = sum * 31 + p[i];
    return sum;
}

int main(void)
{
    static unsigned char *small[NSMALL];
    static size_t small_len[NSMALL];
    unsigned char *big[NBIG];
    uint64_t s = 12345, total = 0;

    /* Phase 1: a little heap, then ~1.8 s of compute. */
    unsigned char *early = malloc(4096);
    uint64_t early_sum = fill(early, 4096, 1);
    for (int step = 0; step < 15; step++) {
        uint64_t acc = 0;
        for (unsigned long i = 0; i < 90000000UL; i++)
            acc += lcg(&s) >> (i & 15);
        total ^= acc;
        printf("phase1 step %2d acc %016llx\n", step, (unsigned long long)acc);
        fflush(stdout);
    }

    /* Phase 2: grow. */
    size_t bytes = 0;
    for (int i = 0; i < NSMALL; i++) {
        small_len[i] = 1 + lcg(&s) % 23000;
        small[i] = malloc(small_len[i]);
        if (!small[i]) { printf("malloc failed\n"); return 1; }
        total += fill(small[i], small_len[i], (uint64_t)i);
        bytes += small_len[i];
        if (i % 5000 == 4999) {
            printf("small %5d bytes %zu total %016llx\n", i + 1, bytes,
                   (unsigned long long)total);
            fflush(stdout);
        }
    }
    for (int i = 0; i < NBIG; i++) {
        big[i] = malloc(BIG_SIZE);
        if (!big[i]) { printf("malloc failed\n"); return 1; }
        uint64_t c = fill(big[i], BIG_SIZE, 1000 + (uint64_t)i);
        total += c;
        printf("big %d sum %016llx\n", i, (unsigned long long)c);
        fflush(stdout);
    }

    /* Free every other block and the odd big ones, then verify survivors. */
    for (int i = 0; i < NSMALL; i += 2) { free(small[i]); small[i] = NULL; }
    for (int i = 1; i < NBIG; i += 2) { free(big[i]); big[i] = NULL; }
    uint64_t verify = sum_block(early, 4096) ^ early_sum;
    for (int i = 1; i < NSMALL; i += 2)
        verify += sum_block(small[i], small_len[i]);
    for (int i = 0; i < NBIG; i += 2)
        verify += sum_block(big[i], BIG_SIZE);
    printf("after free verify %016llx\n", (unsigned long long)verify);

    /* Reallocate into the holes. */
    for (int i = 0; i < NSMALL; i += 2) {
        small[i] = malloc(small_len[i]);
        total += fill(small[i], small_len[i], 77 + (uint64_t)i);
    }
    printf("final total %016llx\n", (unsigned long long)total);
    for (int i = 0; i < NSMALL; i++) free(small[i]);
    for (int i = 0; i < NBIG; i += 2) free(big[i]);
    free(early);
    return 0;
}
