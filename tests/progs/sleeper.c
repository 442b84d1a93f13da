/* sleeper: 100 x 25 ms nanosleep.  A signal (the checkpoint trigger) makes
 * nanosleep fail with EINTR; the remaining time is then slept with rem, so
 * the loop count and output never depend on when the signal arrived. */
#define _GNU_SOURCE
#include <stdio.h>
#include <errno.h>
#include <time.h>

int main(void)
{
    unsigned long sum = 0;

    for (int i = 0; i < 100; i++) {
        struct timespec req = { 0, 25 * 1000 * 1000 }, rem;
        while (nanosleep(&req, &rem) != 0) {
            if (errno != EINTR) {
                perror("nanosleep");
                return 1;
            }
            req = rem;
        }
        sum += (unsigned long)i * i;
        if (i % 10 == 9) {
            printf("slept %3d times, sum %lu\n", i + 1, sum);
            fflush(stdout);
        }
    }
    printf("done\n");
    return 0;
}
