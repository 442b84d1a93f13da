/* Test program for files written and closed before a checkpoint (issue 20
 * item 3): each step appends a line to log.txt and closes it again
 * (fopen "a" / fclose), and with "system" through `sh -c 'echo ... >> log'`
 * in a child instead, as job scripts do. After a restore the log must hold
 * each step's line once: tcp rolls back files the program wrote and
 * closed, not only those it has open.
 *   reopen_log [system] [STEPS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv)
{
	int use_system = argc > 1 && !strcmp(argv[1], "system");
	int steps = argc > 1 + use_system ? atoi(argv[1 + use_system]) : 60;
	for (int i = 0; i < steps; i++) {
		if (use_system) {
			char cmd[128];
			snprintf(cmd, sizeof(cmd), "echo step %d >> log.txt", i);
			if (system(cmd) != 0)
				return 1;
		} else {
			FILE *f = fopen("log.txt", "a");
			if (!f)
				return 1;
			fprintf(f, "step %d\n", i);
			fclose(f);
		}
		printf("step %d\n", i);
		fflush(stdout);
		struct timespec ts = { 0, 50 * 1000000 };
		while (nanosleep(&ts, &ts))
			;
	}
	return 0;
}
