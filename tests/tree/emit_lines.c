/* emit_lines STEP N: N lines "STEP LINE VALUE", each after ~40 ms of
 * arithmetic that only STEP and LINE decide; one write per line, so that a
 * reader downstream of a pipe gets them as they come (tests/tree,
 * pipeline_steps.sh). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: emit_lines STEP N\n");
		return 2;
	}
	int step = atoi(argv[1]), n = atoi(argv[2]);
	for (int line = 0; line < n; line++) {
		unsigned long x = 1469598103934665603ul ^ (unsigned long)(step * 1000 + line);
		for (long i = 0; i < 30000000; i++)
			x = x * 1099511628211ul + (unsigned long)i;
		printf("%d %d %lu\n", step, line, x % 1000003);
		fflush(stdout);
	}
	return 0;
}
