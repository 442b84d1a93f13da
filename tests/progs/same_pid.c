/* same_pid: prints its pid, then waits (polling every 20 ms, at most 60 s)
 * until a file named `done` appears in its current directory, and prints
 * what it then sees as its pid: getpid(), gettid(), the pid in
 * /proc/self/stat, and the entries of /proc/self/task. Checkpointed while
 * waiting and restored, it shows whether it got its pid back and whether
 * /proc/self describes it (libtcp lists /proc/self/task at a checkpoint).
 * Exit status 0 once `done` appeared, 2 on a timeout. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long stat_pid(void)
{
    FILE *f = fopen("/proc/self/stat", "r");
    long pid = -1;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1)
            pid = -1;
        fclose(f);
    }
    return pid;
}

/* "T1 T2 ..." of /proc/self/task, in directory order. */
static void tasks(char *buf, size_t cap)
{
    DIR *d = opendir("/proc/self/task");
    size_t len = 0;
    buf[0] = 0;
    if (!d) {
        snprintf(buf, cap, "(cannot open /proc/self/task: %s)", strerror(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        int n = snprintf(buf + len, cap - len, "%s%s", len ? " " : "", e->d_name);
        if (n < 0 || (size_t)n >= cap - len)
            break;
        len += (size_t)n;
    }
    closedir(d);
}

int main(void)
{
    printf("start pid %ld\n", (long)getpid());
    fflush(stdout);
    for (int i = 0; i < 3000; i++) {
        if (access("done", F_OK) == 0) {
            char t[256];
            tasks(t, sizeof(t));
            printf("end pid %ld tid %ld stat %ld task %s\n", (long)syscall(SYS_getpid), (long)syscall(SYS_gettid),
                   stat_pid(), t);
            return 0;
        }
        struct timespec ts = { 0, 20 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    printf("timeout\n");
    return 2;
}
