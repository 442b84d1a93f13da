/* The variables a restored program must see from its new job rather than
 * from the one it was checkpointed in: the SLURM job identity and restart
 * count, and whatever TCP_RESTORE_ENV names (comma- or space-separated).
 * Collected here as "NAME=value\0NAME=value\0"; libtcp installs them in the
 * restored process's environment. */
#include "restore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const job_vars[] = {
	"SLURM_JOB_ID", "SLURM_JOBID", "SLURM_RESTART_COUNT", "SLURM_JOB_NODELIST", "SLURM_NODELIST",
	"SLURMD_NODENAME", "SLURM_JOB_NUM_NODES", "SLURM_NNODES",
};

static size_t append(char *out, size_t len, size_t cap, const char *name)
{
	const char *v = getenv(name);
	size_t need = strlen(name) + 1 + (v ? strlen(v) : 0) + 1;
	if (!v || len + need > cap)
		return len;
	/* Listed twice (in TCP_RESTORE_ENV too)? Once is enough. */
	for (size_t i = 0; i < len; i += strlen(out + i) + 1)
		if (!strncmp(out + i, name, strlen(name)) && out[i + strlen(name)] == '=')
			return len;
	len += (size_t)sprintf(out + len, "%s=%s", name, v) + 1;
	return len;
}

size_t job_env_block(char *out, size_t cap)
{
	size_t len = 0;
	for (size_t i = 0; i < sizeof(job_vars) / sizeof(job_vars[0]); i++)
		len = append(out, len, cap, job_vars[i]);
	const char *list = getenv("TCP_RESTORE_ENV");
	if (list) {
		char *copy = strdup(list), *save = NULL;
		for (char *name = copy ? strtok_r(copy, ", \t", &save) : NULL; name; name = strtok_r(NULL, ", \t", &save))
			if (!strchr(name, '='))
				len = append(out, len, cap, name);
		free(copy);
	}
	return len;
}
