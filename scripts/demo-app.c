/* The sample program of scripts/demo: an ordinary program that knows nothing
 * about tcp. It simulates heat spreading along a rod (an explicit
 * finite-difference scheme on a heap array of doubles), prints one progress
 * line per step to stdout and appends the rod's profile to an output file,
 * then prints a final result. The output depends only on the arguments, so an
 * interrupted-and-restored run must produce the same bytes as an
 * uninterrupted one.
 *
 *   demo-app STEPS OUTFILE      (the demo uses 30 steps, about 6 s)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELLS (1 << 20)        /* 8 MiB of doubles per array */
#define SWEEPS_PER_STEP 200

static double checksum(const double *u, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += u[i] * (double)(i % 1000 + 1);
	return s;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s STEPS OUTFILE\n", argv[0]);
		return 2;
	}
	int steps = atoi(argv[1]);
	FILE *out = fopen(argv[2], "w");
	if (steps <= 0 || !out) {
		fprintf(stderr, "%s: bad step count or cannot create %s\n", argv[0], argv[2]);
		return 2;
	}
	double *u = malloc(CELLS * sizeof(double));
	double *v = malloc(CELLS * sizeof(double));
	if (!u || !v)
		return 2;
	/* Initial temperatures from a fixed pseudo-random sequence. */
	uint64_t x = 88172645463325252ull;
	for (size_t i = 0; i < CELLS; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		u[i] = (double)(x >> 11) / 9007199254740992.0 * 100.0;
	}
	printf("demo-app: %d steps of %d sweeps over %d cells\n", steps, SWEEPS_PER_STEP, CELLS);
	fflush(stdout);

	for (int step = 1; step <= steps; step++) {
		for (int s = 0; s < SWEEPS_PER_STEP; s++) {
			v[0] = u[0] + 0.25 * (u[1] - u[0]);
			for (size_t i = 1; i < CELLS - 1; i++)
				v[i] = u[i] + 0.25 * (u[i - 1] - 2 * u[i] + u[i + 1]);
			v[CELLS - 1] = u[CELLS - 1] + 0.25 * (u[CELLS - 2] - u[CELLS - 1]);
			double *t = u;
			u = v;
			v = t;
		}
		double lo = u[0], hi = u[0];
		for (size_t i = 1; i < CELLS; i++) {
			lo = u[i] < lo ? u[i] : lo;
			hi = u[i] > hi ? u[i] : hi;
		}
		printf("step %3d/%d: min %.9f max %.9f checksum %.6e\n", step, steps, lo, hi, checksum(u, CELLS));
		fflush(stdout);
		fprintf(out, "step %d:", step);
		for (size_t i = 0; i < CELLS; i += CELLS / 16)
			fprintf(out, " %.12f", u[i]);
		fprintf(out, "\n");
		fflush(out);
	}
	double sum = 0;
	for (size_t i = 0; i < CELLS; i++)
		sum += u[i];
	printf("result: mean temperature %.12f after %d sweeps, checksum %.12e\n", sum / CELLS,
	       steps * SWEEPS_PER_STEP, checksum(u, CELLS));
	if (fclose(out)) {
		perror(argv[2]);
		return 1;
	}
	free(u);
	free(v);
	return 0;
}
