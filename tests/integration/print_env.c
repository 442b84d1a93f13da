/* Computes for a few seconds, then prints the variables a restore must
 * update (and one it must leave alone). For job_env.sh. */
#include <stdio.h>
#include <stdlib.h>

static const char *show(const char *name)
{
	const char *v = getenv(name);
	return v ? v : "(unset)";
}

int main(void)
{
	volatile unsigned long x = 1;
	for (long i = 0; i < 1500000000L; i++)
		x = x * 6364136223846793005ul + 1;
	printf("SLURM_JOB_ID=%s\nSLURM_RESTART_COUNT=%s\nTCP_TEST_VAR=%s\nTCP_KEPT_VAR=%s\n", show("SLURM_JOB_ID"),
	       show("SLURM_RESTART_COUNT"), show("TCP_TEST_VAR"), show("TCP_KEPT_VAR"));
	return 0;
}
