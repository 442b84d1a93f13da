/* Helpers for the shared memory test programs: a checksum and a pause that
 * gives the checkpoint time to hit in the middle of a run. */
#ifndef SHM_COMMON_H
#define SHM_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t fnv(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 1099511628211ull;
	return h;
}

/* ~ms milliseconds; an interrupted sleep (restore) just ends early. */
static inline void pause_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&t, NULL);
}

#define CHECK(cond, ...)                                                                                   \
	do {                                                                                               \
		if (!(cond)) {                                                                             \
			printf("FAILED %s:%d: ", __FILE__, __LINE__);                                      \
			printf(__VA_ARGS__);                                                               \
			printf("\n");                                                                      \
			exit(1);                                                                           \
		}                                                                                          \
	} while (0)
#endif
