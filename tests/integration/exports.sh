#!/bin/sh
# libtcp.so lives inside someone else's program: it must export exactly the
# functions it interposes, so that neither side's symbols capture the
# other's calls. usage: exports.sh LIBTCP
want="creat creat64 execl execle execlp execv execve execveat execvp execvpe fexecve fopen fopen64 freopen freopen64 inotify_add_watch mlockall munlockall open open64 openat openat64 posix_spawn posix_spawnp pthread_sigmask sigaction signal sigprocmask"
got=$(nm -D --defined-only "$1" | awk '$2 ~ /^[TtWwDdBb]$/ { print $3 }' | sort | tr '\n' ' ' | sed 's/ $//')
if [ "$got" = "$want" ]; then
	echo "PASS: exports: $got"
else
	echo "FAIL: libtcp.so exports '$got', expected '$want'"
	exit 1
fi
