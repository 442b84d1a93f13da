/* Test program for restore_errors.sh: holds an input file open for reading
 * and an output file open for writing while it computes for a few seconds,
 * printing progress. Deterministic output. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: hold_files INPUT OUTPUT\n");
		return 2;
	}
	FILE *in = fopen(argv[1], "r"), *out = fopen(argv[2], "w");
	if (!in || !out) {
		perror("open");
		return 1;
	}
	unsigned long sum = 0;
	int c;
	while ((c = fgetc(in)) != EOF)
		sum = sum * 31 + (unsigned)c;
	volatile unsigned long x = sum;
	for (int step = 0; step < 50; step++) {
		for (long i = 0; i < 40000000; i++)
			x = x * 6364136223846793005ul + 1442695040888963407ul;
		fprintf(out, "step %d %lu\n", step, x);
		fflush(out);
		printf("step %d\n", step);
		fflush(stdout);
	}
	fclose(out);
	fclose(in);
	return 0;
}
