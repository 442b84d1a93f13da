/* After a restore: the variables of the new job (SLURM_JOB_ID,
 * SLURM_RESTART_COUNT, TCP_RESTORE_ENV...) replace or join those in the
 * program's environment. We are inside a signal handler that may have
 * interrupted malloc, so the new environ array and its new strings live in
 * static storage; a later setenv() of the program copies the array, as it
 * does for any environ it did not allocate itself. */
#include "internal.h"

#define ENV_SLOTS 8192
#define ENV_BYTES (64 << 10)

extern char **environ;

static char *new_environ[ENV_SLOTS];
static char new_strings[ENV_BYTES];

static int same_name(const char *a, const char *b)
{
	while (*a && *a != '=' && *a == *b)
		a++, b++;
	return *a == '=' && *b == '=';
}

/* Returns the number of variables set, or -1 if they did not fit. */
int tcp_apply_job_env(const char *block, uint64_t len)
{
	uint64_t n = 0, nnew = 0;
	if (!len)
		return 0;
	if (len > sizeof(new_strings))
		return -1;
	f_memcpy(new_strings, block, len);
	for (char **e = environ; e && *e; e++) {
		if (n == ENV_SLOTS - 1)
			return -1;
		new_environ[n++] = *e;
	}
	for (uint64_t i = 0; i < len && new_strings[i]; i += f_strlen(new_strings + i) + 1) {
		char *var = new_strings + i;
		uint64_t j = 0;
		while (j < n && !same_name(new_environ[j], var))
			j++;
		if (j == n) {
			if (n == ENV_SLOTS - 1)
				return -1;
			n++;
		}
		new_environ[j] = var;
		nnew++;
	}
	new_environ[n] = 0;
	environ = new_environ;
	return (int)nnew;
}

void tcp_current_job(char *out, size_t cap)
{
	static const char *const names[] = { "SLURM_JOB_ID=", "PBS_JOBID=", "LSB_JOBID=", "FLUX_JOB_ID=" };
	if (!cap)
		return;
	out[0] = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (char **e = environ; e && *e; e++)
			if (f_startswith(*e, names[i]) && (*e)[f_strlen(names[i])]) {
				const char *v = *e + f_strlen(names[i]);
				size_t n = f_strlen(v);
				if (n > cap - 1)
					n = cap - 1;
				f_memcpy(out, v, n);
				out[n] = 0;
				return;
			}
}
