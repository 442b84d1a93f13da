/* long_compute: the computation of the SLURM requeue tests.
 *
 *   long_compute OUTFILE [STEPS [ITERS [SLEEP_MS]]]
 *
 * STEPS steps (default 180) of a 1-D diffusion with a pseudo-random source
 * over a 256 Ki-double array on the heap (2 MiB, so that every checkpoint
 * carries real state), each step repeated ITERS times (default 3000: about one
 * second of CPU per step on a 2020s x86-64 core at -O2, three minutes in all).
 * After each step it prints a progress line on stdout and appends a record to
 * OUTFILE, both flushed at once, then sleeps SLEEP_MS milliseconds (default
 * 0): the SLURM tests run side by side with their uninterrupted references,
 * and a job that has to outlast two time limits need not keep a core busy
 * all that time. Everything printed depends only on STEPS and ITERS, never on
 * timing (a sleep cut short by a checkpoint's signal changes nothing), so an
 * interrupted-and-restored run must produce the same bytes as an
 * uninterrupted one. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CELLS (256u * 1024u)

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t next_random(void)
{
	/* xorshift64*: deterministic, no libc state involved */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t fnv1a(const void *p, size_t n, uint64_t h)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static long parse_count(const char *s, const char *what, long min)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < min || v > 1000000) {
		fprintf(stderr, "long_compute: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 5) {
		fprintf(stderr, "usage: long_compute OUTFILE [STEPS [ITERS [SLEEP_MS]]]\n");
		return 2;
	}
	long steps = argc > 2 ? parse_count(argv[2], "STEPS", 1) : 180;
	long iters = argc > 3 ? parse_count(argv[3], "ITERS", 1) : 3000;
	long sleep_ms = argc > 4 ? parse_count(argv[4], "SLEEP_MS", 0) : 0;
	struct timespec nap = {sleep_ms / 1000, sleep_ms % 1000 * 1000000L};

	FILE *out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	double *u = calloc(CELLS, sizeof *u);
	double *v = calloc(CELLS, sizeof *v);
	if (!u || !v) {
		perror("calloc");
		return 1;
	}

	fprintf(out, "long_compute %ld steps x %ld iterations on %u cells\n", steps, iters, CELLS);
	fflush(out);

	for (long step = 1; step <= steps; step++) {
		for (long it = 0; it < iters; it++) {
			/* a few random sources, then one explicit diffusion sweep */
			for (int k = 0; k < 64; k++) {
				uint64_t r = next_random();
				u[r % CELLS] += (double)(r >> 11) * 0x1p-53;
			}
			for (unsigned i = 0; i < CELLS; i++) {
				double left = u[i ? i - 1 : CELLS - 1];
				double right = u[i + 1 < CELLS ? i + 1 : 0];
				v[i] = u[i] + 0.25 * (left - 2.0 * u[i] + right);
			}
			double *t = u;
			u = v;
			v = t;
		}
		double sum = 0.0, peak = 0.0;
		for (unsigned i = 0; i < CELLS; i++) {
			sum += u[i];
			if (u[i] > peak)
				peak = u[i];
		}
		uint64_t digest = fnv1a(u, CELLS * sizeof *u, 0xcbf29ce484222325ULL);

		printf("step %4ld/%ld sum %.10f peak %.10f\n", step, steps, sum, peak);
		fflush(stdout);
		fprintf(out, "%ld %.17g %.17g %016" PRIx64 "\n", step, sum, peak, digest);
		fflush(out);
		if (sleep_ms > 0)
			nanosleep(&nap, NULL);
	}

	uint64_t digest = fnv1a(u, CELLS * sizeof *u, 0xcbf29ce484222325ULL);
	fprintf(out, "final %016" PRIx64 "\n", digest);
	if (fclose(out) != 0) {
		perror(argv[1]);
		return 1;
	}
	printf("done: %ld steps, final digest %016" PRIx64 "\n", steps, digest);
	return 0;
}
