/* A library whose constructor takes 200 ms when the program's first
 * argument is "child" (glibc passes argc and argv to constructors): it runs
 * before libtcp's, so the program is still starting up, without libtcp's
 * handlers, all that time, like a program loading big libraries. */
#include <string.h>
#include <time.h>

__attribute__((constructor)) static void slow_start(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "child") == 0) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		while (nanosleep(&ts, &ts))
			;
	}
}

/* Called by the program, so that the linker keeps the library (--as-needed). */
int slow_ctor_linked(void)
{
	return 1;
}
