/* Test program for process trees (issue 20): a parent that forks workers
 * talking over pipes and reaps them.
 *   tree_workers [NWORKERS [NTASKS [HEAP_MIB]]]
 * The parent writes task numbers into one pipe that every worker reads,
 * the workers answer through another pipe, the parent prints the answers in
 * task order as they complete, then closes the task pipe and reaps each
 * worker, printing its exit status (each exits with 10 + its index). One
 * more child exits at once with status 7 and stays a zombie until the
 * parent reaps it at the end. The parent also writes a log through an fd
 * its children inherited (one offset for all). With HEAP_MIB, every
 * process has that much memory of its own (written after the fork, the same
 * bytes in each) which every answer depends on: images of some size, for
 * the stress test. Its output is the same whatever happens to the
 * checkpoints. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

struct answer {
	int task;
	unsigned long value;
};

static unsigned long *heap;
static size_t heap_words;

/* The heap's content, the same in every process (its own pages). */
static void fill_heap(void)
{
	for (size_t i = 0; i < heap_words; i++)
		heap[i] = i * 0x9e3779b97f4a7c15ul;
}

static unsigned long work(int task)
{
	/* ~30 ms of arithmetic that only the task decides. */
	unsigned long x = 1469598103934665603ul ^ (unsigned long)task;
	if (heap_words)
		x ^= heap[((size_t)task * 4099u) % heap_words];
	for (long i = 0; i < 6000000; i++)
		x = x * 1099511628211ul + (unsigned long)i;
	return x;
}

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static void write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			exit(3);
		done += (size_t)n;
	}
}

static volatile sig_atomic_t sigchld_seen;
static void on_chld(int sig)
{
	(void)sig;
	sigchld_seen = 1;
}

int main(int argc, char **argv)
{
	int nworkers = argc > 1 ? atoi(argv[1]) : 3;
	int ntasks = argc > 2 ? atoi(argv[2]) : 400;
	heap_words = (argc > 3 ? (size_t)atoi(argv[3]) : 0) << 17; /* MiB of 8-byte words */
	if (heap_words && !(heap = malloc(heap_words * sizeof(*heap))))
		return 1;
	fill_heap();
	int tasks[2], answers[2];
	if (pipe(tasks) || pipe(answers))
		return 1;
	int log = open("tree_workers.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (log < 0)
		return 1;
	signal(SIGCHLD, on_chld);
	pid_t zombie = fork();
	if (zombie == 0)
		_exit(7);
	pid_t *workers = calloc((size_t)nworkers, sizeof(pid_t));
	for (int w = 0; w < nworkers; w++) {
		workers[w] = fork();
		if (workers[w] == 0) {
			fill_heap();
			close(tasks[1]);
			close(answers[0]);
			int task;
			while (read_full(tasks[0], &task, sizeof(task)) == 0) {
				struct answer a = { task, work(task) };
				write_full(answers[1], &a, sizeof(a));
			}
			_exit(10 + w);
		}
	}
	close(tasks[0]);
	close(answers[1]);
	printf("parent: %d workers, %d tasks\n", nworkers, ntasks);
	fflush(stdout);
	unsigned long *results = calloc((size_t)ntasks, sizeof(unsigned long));
	char *have = calloc((size_t)ntasks, 1);
	int next_print = 0, sent = 0;
	/* A few tasks ahead of the answers, so that the pipes hold data. */
	for (; sent < ntasks && sent < 2 * nworkers; sent++)
		write_full(tasks[1], &sent, sizeof(sent));
	for (int got = 0; got < ntasks; got++) {
		struct answer a;
		if (read_full(answers[0], &a, sizeof(a)) || a.task < 0 || a.task >= ntasks)
			return 4;
		results[a.task] = a.value;
		have[a.task] = 1;
		if (sent < ntasks) {
			write_full(tasks[1], &sent, sizeof(sent));
			sent++;
		}
		while (next_print < ntasks && have[next_print]) {
			printf("task %3d: %016lx\n", next_print, results[next_print]);
			dprintf(log, "task %d done\n", next_print);
			next_print++;
		}
		fflush(stdout);
	}
	close(tasks[1]);
	for (int w = 0; w < nworkers; w++) {
		int status;
		if (waitpid(workers[w], &status, 0) != workers[w])
			return 5;
		printf("worker %d exited with status %d\n", w, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	int status;
	if (waitpid(zombie, &status, 0) != zombie)
		return 6;
	printf("early child exited with status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	printf("SIGCHLD %s\n", sigchld_seen ? "seen" : "not seen");
	dprintf(log, "all done\n");
	return 0;
}
