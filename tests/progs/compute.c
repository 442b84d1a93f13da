/* compute: pure integer + floating-point work in fixed-size steps.
 * Prints one line per step and a final checksum; output depends only on
 * the iteration counts, never on timing. argv[1], if given, is the number
 * of steps (default 30): tests that checkpoint several times run longer. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#define STEPS 30
#define ITERS_PER_STEP 27000000UL /* ~0.1 s per step at -O1 */

int main(int argc, char **argv)
{
    int steps = argc > 1 ? atoi(argv[1]) : STEPS;
    uint64_t x = 0x9e3779b97f4a7c15ULL, isum = 0;
    double fsum = 0.0;

    for (int step = 0; step < steps; step++) {
        for (unsigned long i = 0; i < ITERS_PER_STEP; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            isum ^= x >> 17;
            isum += (x >> 40) * (i | 1);
            fsum += (double)(x >> 11) * 0x1p-53 - 0.5;
        }
        printf("step %2d isum %016llx fsum %.9f\n", step,
               (unsigned long long)isum, fsum);
        fflush(stdout);
    }
    printf("checksum %016llx\n", (unsigned long long)(isum ^ x));
    return 0;
}
