/* The on-disk image format: the contract between libtcp.so (writer) and
 * tcp-restore / tcp-inspect (readers).
 *
 * File = file header, then sections. Each section = section header + payload.
 * Every header and every payload carries a checksum (image/checksum.h),
 * keyed with the image's random identifier (file header): a section is
 * valid only in the image it was written for. The
 * last section is END; a file without a valid END is incomplete. Page data in
 * PAGES sections starts page-aligned in the file so that the restorer can read
 * it straight into place (or map it, for lazy restore).
 * All integers are little-endian x86-64 native. Bump TCP_FORMAT_VERSION on any
 * layout change. */
#ifndef TCP_IMAGE_FORMAT_H
#define TCP_IMAGE_FORMAT_H

#include <stdint.h>

#define TCP_IMAGE_MAGIC "TCPIMAGE"
/* 5: tcp_thread.pending; tcp_process.pending holds the shared ones only.
 * 6: issue 19 (safety): see the fields marked "(6)"; issue 22: tcp_process.job.
 *    tcp_file_header.image_id keys every section's checksums.
 *    tcp_fd.owner: owner, device number and content fingerprint of what an fd names.
 *    tcp_process.run_id: the run that wrote the image (TCP_KEEP, `latest`).
 *    tcp_thread: CPU affinity and scheduling, set again at restore (item 17).
 *    TREE section, member images, tree-wide fd and shm identities (issue 20).
 *    WRITTEN sections: files written and closed before the checkpoint (issue 20).
 *    TCP_SOCK_TREE_PAIR over TCP, TCP options of tcp_fd_socket (issue 20).
 *    tcp_fd_socket.dir_*: the directory of a bound UNIX socket's path, made again if gone (issue 20).
 *    TCP_SOCK_MSG_FDS: UNIX socket messages queued with fds in flight (SCM_RIGHTS) (issue 20).
 *    tcp_fd_socket.qflags TCP_SOCKQ_SENDERS: datagrams waiting on an unconnected UNIX socket, each
 *    with its sender's address (issue 21); 0 in older images of this version (none such). */
#define TCP_FORMAT_VERSION 6
#define TCP_ARCH_X86_64 1
#define TCP_PAGE_SIZE 4096u
#define TCP_SECTION_MAGIC 0x53504354u /* "TCPS" */
#define TCP_PATH_MAX 4096
#define TCP_NSIG 64

struct tcp_file_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;	/* sizeof(struct tcp_file_header) */
	uint32_t arch;
	uint32_t page_size;
	uint64_t image_id[2];	/* (6) random, new for every image: keys the checksums of its
				 * sections (image/checksum.h csum_init_keyed) */
	uint64_t reserved[2];
	uint64_t checksum;	/* of the bytes before this field */
};

enum tcp_section_type {
	TCP_SEC_PROCESS = 1,
	TCP_SEC_REGION = 2,
	TCP_SEC_PAGES = 3,
	TCP_SEC_THREAD = 4,
	TCP_SEC_FD = 5,
	TCP_SEC_SHM = 6,	/* a shared memory object with its content (before the REGIONs) */
	/* Reserved for issue 5 (being built): */
	TCP_SEC_ZPAGES = 7,	/* PAGES compressed with zstd (TCP_COMPRESS=zstd) */
	TCP_SEC_PARENT = 8,	/* incremental: the older images this one takes pages from */
	TCP_SEC_HASHES = 9,	/* incremental: a hash of every stored or inherited page */
	TCP_SEC_REFS = 10,	/* incremental: runs of pages kept in an older image */
	TCP_SEC_TREE = 11,	/* process tree: the root's image lists the other processes */
	TCP_SEC_WRITTEN = 12,	/* a file written and closed before the checkpoint: a tcp_fd record
				 * (fd -1, REGULAR, O_WRONLY, size, identity) and its path, rolled back
				 * at restore like an output fd's file */
	TCP_SEC_END = 99,
};

struct tcp_section_header {
	uint32_t magic;
	uint32_t type;
	uint64_t length;	/* payload bytes that follow */
	uint64_t payload_sum;	/* keyed with the image_id, as header_sum */
	uint64_t header_sum;	/* of the 24 bytes before this field */
};

/* What PR_SET_MM_MAP needs (values from /proc/self/stat and brk(0)). */
struct tcp_mm {
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
};

struct tcp_ksigaction {	/* the kernel's struct sigaction for rt_sigaction */
	uint64_t handler, flags, restorer, mask;
};

struct tcp_itimer {
	int64_t interval_sec, interval_usec, value_sec, value_usec;
};

struct tcp_rlimit {
	uint64_t cur, max;
};

#define TCP_NRLIMITS 16
#define TCP_AUXV_WORDS 128

struct tcp_process {
	int64_t time_sec, time_nsec;	/* CLOCK_REALTIME at checkpoint */
	int32_t pid;
	uint32_t uid, gid, umask;
	uint32_t generation;
	uint32_t nthreads, nregions, nfds;
	uint32_t auxv_bytes;
	uint32_t xstate_size;		/* from the signal frame's fpstate */
	uint64_t xcr0;			/* XCR0 of the CPU at checkpoint */
	uint64_t xfeatures;		/* XSAVE features present in the frame */
	struct tcp_mm mm;
	uint64_t auxv[TCP_AUXV_WORDS];
	struct tcp_rlimit rlimits[TCP_NRLIMITS];
	struct tcp_ksigaction sigactions[TCP_NSIG];	/* index = signal - 1 */
	uint64_t pending;		/* signals pending for the process (bit sig-1), to raise again */
	struct tcp_itimer itimers[3];
	uint64_t resume_slot;		/* address of libtcp's struct tcp_resume_slot */
	uint32_t cmdline_len;
	uint32_t reserved0;
	char comm[16];			/* /proc/self/comm, NUL-terminated */
	char hostname[72];
	char prog[256];
	char exe[TCP_PATH_MAX];
	char cwd[TCP_PATH_MAX];
	char cmdline[TCP_PATH_MAX];	/* NUL-separated argv, maybe truncated */
	/* (6) The batch job the program ran in at checkpoint time (after a
	 * restore: the job that restored it): SLURM_JOB_ID, else PBS_JOBID,
	 * LSB_JOBID or FLUX_JOB_ID; "" outside a job. NUL-terminated. */
	char job[64];

	/* (6) The run: a random number drawn when the program first started,
	 * the same in every image of it, also after restores. TCP_KEEP deletes
	 * only images of its own run; `latest` is not taken over from a run
	 * that may still be running. */
	uint64_t run_id;
};

enum tcp_region_kind {
	TCP_REG_ANON = 1,	/* private anonymous */
	TCP_REG_FILE = 2,	/* private file mapping */
	TCP_REG_FILE_SHARED = 3,/* shared file mapping: the file holds the data */
	TCP_REG_HEAP = 4,
	TCP_REG_STACK = 5,	/* main thread stack, grows down */
	TCP_REG_VDSO = 6,	/* [vdso]: not stored, moved at restore */
	TCP_REG_VVAR = 7,	/* [vvar], [vvar_vclock]: likewise */
	TCP_REG_SHM = 8,	/* mapping of a shared memory object: SHM section `shm_index` */
};

#define TCP_REGF_GROWSDOWN 1u
#define TCP_REGF_PRIVATE 2u	/* TCP_REG_SHM mapped MAP_PRIVATE: its written pages are stored */
/* The mapping's madvise state and MAP_NORESERVE (smaps VmFlags), set again
 * at restore. THP matters for speed too: huge pages make fork (the
 * checkpoint's pause) and the restore's page faults 512 times cheaper. */
#define TCP_REGF_HUGEPAGE 4u	/* MADV_HUGEPAGE ("hg") */
#define TCP_REGF_NOHUGEPAGE 8u	/* MADV_NOHUGEPAGE ("nh") */
#define TCP_REGF_DONTDUMP 16u	/* MADV_DONTDUMP ("dd") */
#define TCP_REGF_WIPEONFORK 32u	/* MADV_WIPEONFORK ("wf"): private anonymous only */
#define TCP_REGF_DONTFORK 64u	/* MADV_DONTFORK ("dc") */
#define TCP_REGF_MERGEABLE 128u	/* MADV_MERGEABLE ("mg", KSM) */
#define TCP_REGF_NORESERVE 256u	/* MAP_NORESERVE ("nr") */
#define TCP_REGF_LOCKED 512u	/* mlock ("lo") */
#define TCP_REGF_LOCKONFAULT 1024u /* mlock2 MLOCK_ONFAULT ("lf", with "lo") */
#define TCP_REGF_KNOWN 2047u

struct tcp_region {
	uint64_t start, end;
	uint64_t offset;	/* file offset */
	uint32_t prot;		/* PROT_* */
	uint32_t kind;
	uint32_t flags;
	uint32_t dev_major, dev_minor;
	uint32_t build_id_len;
	uint64_t inode;
	uint64_t file_size;
	int64_t mtime_sec, mtime_nsec;
	uint8_t build_id[32];
	uint64_t stored_pages;
	uint32_t path_len;	/* bytes of path that follow, no NUL */
	uint32_t shm_index;	/* TCP_REG_SHM: which SHM section (0 = the first) */
};

/* PAGES payload: this head, then nruns runs, then zero padding up to
 * data_offset (relative to the payload start; the absolute file offset is a
 * multiple of TCP_PAGE_SIZE), then the pages of every run in order. */
struct tcp_pages_head {
	uint64_t region_index;
	uint64_t nruns;
	uint64_t data_offset;
	uint64_t reserved0;
};

struct tcp_run {
	uint64_t addr;
	uint64_t npages;
};

/* ZPAGES payload (TCP_COMPRESS=zstd): the pages of the runs, concatenated
 * and cut into blocks of block_size raw bytes (the last one shorter), each
 * stored as one zstd frame with its content checksum, or raw when it does
 * not compress. Layout: this head, the nruns runs, the blocks' stored bytes
 * back to back, then the block table (nblocks tcp_zblock) last, so that the
 * writer can stream the frames before it knows their lengths. */
struct tcp_zpages_head {
	uint64_t region_index;
	uint64_t nruns;
	uint64_t nblocks;
	uint64_t raw_bytes;	/* the runs' page bytes */
	uint32_t block_size;	/* raw bytes per block, a multiple of TCP_PAGE_SIZE */
	uint32_t reserved0;
};

#define TCP_ZBLOCK_RAW 1u	/* stored as is (did not compress) */
#define TCP_ZBLOCK_MAX (4u << 20)	/* largest block_size a reader accepts */

struct tcp_zblock {
	uint32_t stored_len;
	uint32_t raw_len;
	uint32_t flags;		/* TCP_ZBLOCK_* */
	uint32_t reserved0;
};

struct tcp_altstack {
	uint64_t sp;
	int32_t flags;
	uint32_t reserved0;
	uint64_t size;
};

#define TCP_MAX_FRAMES 32
#define TCP_SCHED_CPU_WORDS 16		/* (6) CPUs 0-1023 */
#define TCP_SCHED_CPUS_KNOWN 1u		/* (6) cpus holds the thread's mask */
#define TCP_SCHED_CPUS_PINNED 2u	/* (6) the program narrowed it (pthread_setaffinity_np, ...) */
#define TCP_SCHED_ATTR_KNOWN 4u		/* (6) sched_* hold the thread's policy and nice value */
#define TCP_SCHED_ATTR_SET 8u		/* (6) the program changed them (nice, setpriority, ...) */

struct tcp_thread {
	int32_t tid;
	uint32_t is_leader;
	/* Resume context saved by tcp_ctx_save(): rbx rbp r12 r13 r14 r15 rsp rip */
	uint64_t ctx[8];
	uint64_t fs_base, gs_base;
	uint64_t uctx_addr;	/* the ucontext of the signal frame it sits in */
	uint64_t sigmask;	/* the app's mask, as in that frame */
	struct tcp_altstack altstack;
	uint64_t robust_head, robust_len;
	uint64_t rseq_addr;
	uint32_t rseq_len, rseq_sig;
	uint64_t tid_addr;	/* glibc's descriptor tid field (clear-child-tid) */
	char comm[16];		/* the thread's name (pthread_setname_np), NUL-terminated */
	uint32_t nframes;
	uint32_t reserved0;
	uint64_t pending;	/* signals pending for this thread alone (bit sig-1): tgkill, pthread_kill */
	uint64_t frames[TCP_MAX_FRAMES]; /* return addresses, innermost first */
	/* (6) Scheduling (preload/sched_state.c). What the program changed
	 * (differs from what the process started with) is set again at restore. */
	uint64_t cpus[TCP_SCHED_CPU_WORDS];	/* (6) CPU affinity: bit n of word n/64 = CPU n */
	uint32_t sched_state;		/* (6) TCP_SCHED_* */
	uint32_t sched_policy;		/* (6) SCHED_OTHER 0, FIFO 1, RR 2, BATCH 3, IDLE 5, DEADLINE 6 */
	uint64_t sched_flags;		/* (6) the kernel's SCHED_FLAG_* (1: reset on fork) */
	int32_t sched_nice;		/* (6) nice value (per thread in Linux) */
	uint32_t sched_priority;	/* (6) real-time priority */
	uint64_t sched_runtime, sched_deadline, sched_period; /* (6) SCHED_DEADLINE, ns */
};

enum tcp_fd_kind {
	TCP_FD_REGULAR = 1,	/* reopened by path, offset restored, written files rolled back */
	TCP_FD_INHERIT = 2,	/* fd 0-2 on a tty/pipe/socket: taken from the restorer */
	TCP_FD_DEVICE = 3,	/* character device reopened by path (/dev/null, ...) */
	TCP_FD_DELETED = 4,	/* deleted-but-open regular file: content in the image */
	TCP_FD_DUP = 5,		/* shares the open file description of fd `same_as` (dup,
				 * dup2, fork-less 2>&1): one offset, one set of flags */
	TCP_FD_PIPE = 6,	/* a pipe or FIFO end whose other end is in the process too */
	TCP_FD_EVENTFD = 7,
	TCP_FD_TIMERFD = 8,
	TCP_FD_SIGNALFD = 9,
	TCP_FD_EPOLL = 10,
	TCP_FD_INOTIFY = 11,
	TCP_FD_SOCKET = 12,
	TCP_FD_MEMFD = 13,	/* memfd_create() file: content in the image */
	TCP_FD_PTY = 14,	/* an end of a pseudo-terminal pair whose master is in the process or its tree */
	TCP_FD_KIND_MAX = 14,
};

/* Kind-specific state, in tcp_fd.u. Variable parts (pipe or socket queue
 * data, epoll items, inotify watches, file content) follow the path as the
 * record's content (content_len bytes). */

/* ---- pipes and event fds (TCP_FD_PIPE .. TCP_FD_INOTIFY) ---- */
struct tcp_fd_pipe {
	uint64_t pipe_id;	/* pipefs inode: the two ends of one pipe share it */
	uint32_t capacity;	/* F_GETPIPE_SZ */
	uint32_t is_fifo;	/* a named FIFO: path is its name */
	uint32_t nends;		/* records (DUPs aside) on this pipe: the restorer
				 * hands out that many ends, then drops its own */
	uint32_t has_data;	/* this record carries the pipe's bytes as content
				 * (one readable end of each pipe does) */
	uint32_t no_reader;	/* every read end was closed (writes get EPIPE) */
	uint32_t no_writer;	/* every write end was closed (reads reach EOF) */
	uint32_t npackets;	/* packet mode (O_DIRECT writers): the bytes are this
				 * many packets, each read whole by one read() */
	/* content (with has_data): the bytes sitting in the pipe, then with
	 * npackets that many uint32_t packet lengths */
};

struct tcp_fd_eventfd {
	uint64_t count;
	uint32_t semaphore;	/* EFD_SEMAPHORE */
	uint32_t reserved0;
};

#define TCP_TFD_ABSTIME 1u		/* TFD_TIMER_ABSTIME */
#define TCP_TFD_CANCEL_ON_SET 2u	/* TFD_TIMER_CANCEL_ON_SET */

struct tcp_fd_timerfd {
	int32_t clockid;
	uint32_t settime_flags;	/* TCP_TFD_*, as last given to timerfd_settime */
	uint64_t ticks;		/* expirations not read yet */
	/* Remaining time (relative, as timerfd_gettime) and interval. For a
	 * CLOCK_REALTIME ABSTIME timer, value is the absolute expiry instead. */
	int64_t value_sec, value_nsec;
	int64_t interval_sec, interval_nsec;
	uint32_t armed;
	uint32_t reserved0;
};

struct tcp_fd_signalfd {
	uint64_t sigmask;	/* bit sig-1 */
};

struct tcp_fd_epoll {
	uint32_t nitems;	/* struct tcp_fd_epoll_item in the content */
	uint32_t reserved0;
};

struct tcp_fd_epoll_item {
	int32_t tfd;		/* registered fd number (restored before the items) */
	uint32_t events;	/* EPOLLIN..., EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE, EPOLLWAKEUP */
	uint64_t data;
};

/* ---- pseudo-terminals (TCP_FD_PTY) ----
 * A pair made again at restore: a new /dev/ptmx (its number may differ),
 * each slave end opened from it (TIOCGPTPEER). A slave whose master is
 * outside the tree is not a TCP_FD_PTY (fds 0-2: INHERIT, else DEVICE). */
struct tcp_fd_pty {
	uint32_t index;		/* the pair's number at checkpoint (/dev/pts/index) */
	uint32_t master;	/* 1: the /dev/ptmx end, 0: a /dev/pts end */
	uint32_t locked;	/* master: TIOCGPTLCK (slave opens refused) */
	uint32_t packet;	/* master: TIOCGPKT (packet mode) */
	uint16_t winsize[4];	/* TIOCGWINSZ: rows, columns, x and y pixels */
	uint8_t termios[36];	/* TCGETS of this end: the kernel's struct termios */
	uint32_t reserved0;
};

/* ---- sockets (TCP_FD_SOCKET) ---- */
enum tcp_sock_role {
	TCP_SOCK_PAIR = 1,	/* UNIX, connected to `peer_fd` of this process (socketpair, or
				 * both ends of a connection); peer_fd -1: the peer was closed */
	TCP_SOCK_LISTEN = 2,	/* listening on `addr` with `backlog` */
	TCP_SOCK_PLAIN = 3,	/* not connected, or a connectionless socket: re-created,
				 * bound to `addr` if addr_len > 2, connected to `peer` if
				 * peer_len > 2 (UDP, UNIX datagram) */
	TCP_SOCK_GONE = 4,	/* connected to the outside, TCP_SOCKETS=close: restored as a
				 * socket that reports the peer gone */
	TCP_SOCK_TREE_PAIR = 5,	/* connected to the socket `peer_ino` of another process of the
				 * tree (UNIX: a socketpair across fork), or (6) a TCP connection
				 * between two processes of the tree (`peer` is the other end's
				 * `addr`, the receive queue one chunk): one connection again */
};

#define TCP_SOCKO_REUSEADDR 1u
#define TCP_SOCKO_REUSEPORT 2u
#define TCP_SOCKO_V6ONLY 4u
#define TCP_SOCKO_PASSCRED 8u
#define TCP_SOCKO_NODELAY 16u	/* (6) TCP sockets: TCP_NODELAY */
#define TCP_SOCKO_KEEPALIVE 32u	/* (6) SO_KEEPALIVE */
#define TCP_SOCKO_CORK 64u	/* (6) TCP_CORK */
#define TCP_SOCKO_OOBINLINE 128u	/* (6) SO_OOBINLINE */

#define TCP_SOCK_ADDR_MAX 128	/* struct sockaddr_storage */
#define TCP_SOCKD_KNOWN 1u	/* (6) tcp_fd_socket.dir_* were taken */
#define TCP_SOCK_MSG_CREDS 0x80000000u
#define TCP_SOCK_MSG_FDS 0x40000000u	/* (6) sent with fds (SCM_RIGHTS): see the content below */
#define TCP_SOCK_MSG_LEN 0x3fffffffu	/* (6) was 0x7fffffff */
#define TCP_SOCK_MSG_MAX_FDS 253	/* the kernel's SCM_MAX_FD */
/* (6) tcp_fd_socket.qflags. SENDERS: the queue of an unconnected UNIX
 * datagram socket bound to an abstract name (role PLAIN), each record
 * with the address of the socket that sent it: unnamed, or an abstract
 * name that a socket of the process or of its tree was bound to at
 * checkpoint (MPICH/UCX's wake-up byte between its ranks). */
#define TCP_SOCKQ_SENDERS 1u

struct tcp_fd_socket {
	uint32_t family;	/* AF_UNIX, AF_INET, AF_INET6 */
	uint32_t type;		/* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	uint32_t protocol;
	uint32_t role;		/* enum tcp_sock_role */
	uint64_t ino;		/* socket inode at checkpoint */
	uint64_t peer_ino;	/* UNIX and TREE_PAIR: the peer's inode (0: none) */
	int32_t peer_fd;	/* TCP_SOCK_PAIR: fd of the other end, -1: it was closed */
	uint32_t shutdown;	/* 1: reading shut down, 2: writing shut down (the socket's own view) */
	uint32_t backlog;	/* TCP_SOCK_LISTEN */
	uint32_t opts;		/* TCP_SOCKO_* */
	int32_t sndbuf, rcvbuf;	/* SO_SNDBUF/SO_RCVBUF as getsockopt reports them */
	int32_t peek_off;	/* SO_PEEK_OFF (-1: off) */
	uint32_t nmsgs;		/* messages of the receive queue in the content */
	uint32_t addr_len, peer_len;
	uint8_t addr[TCP_SOCK_ADDR_MAX];	/* getsockname */
	uint8_t peer[TCP_SOCK_ADDR_MAX];	/* getpeername (or the UNIX peer's name) */
	int32_t keepidle, keepintvl, keepcnt;	/* (6) TCP: TCP_KEEPIDLE/KEEPINTVL/KEEPCNT (0: not read) */
	int32_t linger;		/* (6) SO_LINGER: 0 off, else its seconds + 1 */
	/* (6) The directory a bound UNIX socket's path is in, at checkpoint
	 * (dir_flags TCP_SOCKD_KNOWN): tcp-restore makes it again if it is
	 * gone and was the user's (multiprocessing's /tmp/pymp-XXXX). */
	uint32_t dir_flags;
	uint32_t dir_mode;	/* st_mode */
	uint32_t dir_uid, dir_gid;
	uint32_t qflags;	/* (6) TCP_SOCKQ_*; 0 in images written before it */
	/* content: the receive queue as nmsgs messages, each a uint32_t length
	 * (with TCP_SOCK_MSG_CREDS: sent with this process's credentials) then
	 * that many bytes (a stream socket's queue: one message per chunk).
	 * (6) A message marked TCP_SOCK_MSG_FDS was sent with fds: its length
	 * word is followed by a uint32_t count (1..TCP_SOCK_MSG_MAX_FDS) and
	 * that many int32_t fd numbers of this image, before the bytes. Those
	 * fds exist only to be sent again: at checkpoint they were the
	 * duplicates a peek installed, and the restored process closes them
	 * once its queues are filled. On a stream the record is the chunk
	 * that ends with the bytes the fds were sent with.
	 * (6) With TCP_SOCKQ_SENDERS (datagrams: no fds, no credentials),
	 * the length word is followed by a uint32_t address length (0: an
	 * unnamed sender; else 3..TCP_SOCK_ADDR_MAX, an abstract AF_UNIX
	 * address) and that many bytes of the sender's sockaddr_un, before
	 * the message's bytes. */
};

/* ---- shared memory (TCP_FD_MEMFD, TCP_SEC_SHM, TCP_REG_SHM) ---- */

/* A shared memory object the process maps or holds an fd of, stored once
 * (SHM section): this head, the name (name_len bytes, no NUL), nextents
 * tcp_shm_extent, then the bytes of every extent in order. Holes of the
 * object are not stored. Regions (TCP_REG_SHM) and fds (TCP_FD_MEMFD) name
 * it by its index among the SHM sections. */
enum tcp_shm_type {
	TCP_SHM_MEMFD = 1,	/* memfd_create(); name = the memfd's name */
	TCP_SHM_POSIX = 2,	/* a file under /dev/shm (shm_open); name = its path */
	TCP_SHM_ANON = 3,	/* MAP_SHARED|MAP_ANONYMOUS ("/dev/zero (deleted)") */
	TCP_SHM_SYSV = 4,	/* System V segment (shmget); identity inode = shmid */
	TCP_SHM_TYPE_MAX = 4,
};

#define TCP_SHMF_DELETED 1u	/* POSIX: unlinked at checkpoint time */
#define TCP_SHMF_SEALABLE 2u	/* MEMFD: created with MFD_ALLOW_SEALING */
#define TCP_SHMF_RMID 4u	/* SYSV: marked IPC_RMID (destroyed at the last detach) */

struct tcp_shm {
	uint32_t type;		/* TCP_SHM_* */
	uint32_t flags;		/* TCP_SHMF_* */
	uint32_t dev_major, dev_minor;	/* identity at checkpoint time, as in maps */
	uint64_t inode;
	uint64_t size;		/* object size (st_size, shm_segsz) */
	uint32_t seals;		/* MEMFD: F_GET_SEALS */
	uint32_t mode;		/* permission bits */
	int32_t sysv_key, sysv_id;
	uint32_t name_len;
	uint32_t nextents;
	uint64_t data_len;	/* sum of the extents' lengths */
	uint64_t reserved[4];
};

struct tcp_shm_extent {
	uint64_t offset, len;	/* bytes of the object, page aligned but for the last */
};

/* TCP_FD_MEMFD: an fd of a memfd or of a /dev/shm file: reopened on the
 * object with the fd's flags and offset. */
struct tcp_fd_memfd {
	uint32_t shm_index;	/* its SHM section */
	uint32_t reserved0;
};

union tcp_fd_state {
	struct tcp_fd_pipe pipe;
	struct tcp_fd_eventfd eventfd;
	struct tcp_fd_timerfd timerfd;
	struct tcp_fd_signalfd signalfd;
	struct tcp_fd_epoll epoll;
	struct tcp_fd_memfd memfd;
	struct tcp_fd_socket sock;
	struct tcp_fd_pty pty;
	uint8_t raw[512];	/* room for every kind; the size is part of the format */
};

/* (6) Who owned what an fd names, and for a regular file a fingerprint of
 * its content, so that a restore reopens only the very file the program had,
 * or a copy of it that passes the rule of restore/file_identity.c (README,
 * "Files at restore"). */
#define TCP_FP_LEN 4096u	/* bytes hashed at each end of a regular file */
#define TCP_FDO_FP 1u		/* fp_head and fp_tail were taken */
#define TCP_FDO_BTIME 2u	/* btime was taken (statx STATX_BTIME) */
#define TCP_FDO_UID_UNKNOWN 4u	/* the owner is not known: the program ran in a user namespace
				 * where the file showed as the overflow uid (not mapped there) */

struct tcp_fd_owner {
	uint32_t uid, gid;	/* st_uid, st_gid at checkpoint */
	uint64_t rdev;		/* st_rdev: which device a character device is */
	uint32_t flags;		/* TCP_FDO_* */
	uint32_t fp_len;	/* bytes in each hashed piece: min(size, TCP_FP_LEN) */
	uint64_t fp_head;	/* csum_buf (image/checksum.h) of the first fp_len bytes */
	uint64_t fp_tail;	/* of the fp_len bytes that end at `size` */
	int64_t btime_sec;	/* birth time: a file made later at the same path may */
	uint32_t btime_nsec;	/* get the same inode number, never the same birth time */
	uint32_t reserved0;
};

struct tcp_fd {
	int32_t fd;
	uint32_t kind;
	uint32_t flags;		/* open flags (O_ACCMODE, O_APPEND, ...) without O_CLOEXEC */
	uint32_t cloexec;
	uint64_t pos;
	uint64_t size;		/* st_size at checkpoint */
	uint32_t mode;		/* st_mode */
	uint32_t path_len;	/* path bytes that follow, no NUL */
	uint64_t dev, inode;
	int64_t mtime_sec, mtime_nsec;
	uint64_t content_len;	/* bytes that follow the path (DELETED: the file) */
	int32_t same_as;	/* DUP: the fd whose open file description this is */
	uint32_t nlocks;	/* flock/fcntl locks held, in the content after the rest */
	union tcp_fd_state u;
	struct tcp_fd_owner owner;	/* (6) */
};

/* A lock held through an fd (from its fdinfo "lock:" lines), re-acquired at
 * restore. Stored at the end of the fd's content. */
struct tcp_fd_lock {
	uint32_t type;		/* TCP_LOCK_* */
	uint32_t write;		/* exclusive (flock LOCK_EX, fcntl F_WRLCK) */
	uint64_t start, end;	/* byte range (fcntl); end = UINT64_MAX: to EOF */
};

enum tcp_lock_type { TCP_LOCK_FLOCK = 1, TCP_LOCK_POSIX = 2, TCP_LOCK_OFD = 3 };

/* inotify (TCP_FD_INOTIFY): the content is its watches, each this head
 * followed by its path (path_len bytes, no NUL), padded to 8 bytes. */
struct tcp_inotify_watch {
	int32_t wd;		/* watch descriptor the program knows it by */
	uint32_t mask;		/* as inotify_add_watch() got it (events, IN_ONESHOT, ...) */
	uint32_t path_len;
	uint32_t reserved0;
};

/* The kind's own part of a record's content (what precedes the locks). */
#define TCP_FD_DATA_LEN(f) ((f)->content_len - (uint64_t)(f)->nlocks * sizeof(struct tcp_fd_lock))

/* Not on disk, but part of the same contract: the restore blob writes this
 * into the restored address space (at tcp_process.resume_slot) so that the
 * resumed handler in libtcp knows it was restored, what to unmap, and which
 * environment variables the new job gives it ("NAME=value\0...\0"). */
struct tcp_resume_slot {
	volatile uint64_t restored;
	uint64_t blob_addr, blob_len;
	uint64_t env_addr, env_len;	/* inside the blob mapping */
	int64_t status_id;		/* name of the /tmp/tcp-UID/ID.status file from now on:
					 * the pid of the tcp-restore users signal (0: getpid()) */
	int64_t reserved0;
};

/* ---- incremental images (TCP_INCREMENTAL) ----
 * An incremental image stores the pages that changed since the image before
 * it and takes the others from older images of the same directory, its
 * "sources": source 0 is the image itself, source i >= 1 the i-th entry of
 * its PARENT section. REFS name every inherited page by (source, file
 * offset) directly, so a restore reads each page from where it is and never
 * follows the chain page by page; the page's hash is in that source's
 * HASHES. Sections come in this order: PROCESS,
 * PARENT, (REGION, PAGES..., REFS...)..., HASHES, THREAD..., FD..., END. */

/* PARENT payload: nparents of these. Entry i is source i + 1: the image the
 * checkpoint compared against first, then that image's own sources in their
 * order (the whole chain, never more than TCP_INCREMENTAL - 1 images). */
#define TCP_PARENT_NAME_MAX 256
struct tcp_parent {
	char name[TCP_PARENT_NAME_MAX];	/* file name in the same directory, NUL-terminated */
	uint32_t generation;		/* its tcp_process.generation */
	uint32_t reserved0;
	uint64_t size;			/* its size in bytes */
	uint64_t process_sum;		/* its PROCESS section's payload checksum (time, pid,
					 * generation...): proves it is the same file */
};

/* REFS payload: this head, then nruns tcp_ref, in address order, inside
 * region region_index. A region's REFS sections follow its PAGES sections;
 * a page is in at most one PAGES or REFS run. */
struct tcp_refs_head {
	uint64_t region_index;
	uint64_t nruns;
};

struct tcp_ref {
	uint64_t addr;
	uint64_t npages;
	uint32_t source;	/* >= 1: index into PARENT + 1 */
	uint32_t reserved0;
	uint64_t file_off;	/* page-aligned offset of the first page in that source's file;
				 * the run's pages follow each other there */
};

/* HASHES payload: count tcp_page_hash (count = length / 24), in strictly
 * increasing address order: one for every page this image's PAGES sections
 * hold (an image with TCP_INCREMENTAL, full or not, has one). An inherited
 * page's hash is in the HASHES of the image that holds it, written when the
 * page was: the next checkpoint compares against it, and restore checks the
 * page read from that image against it. Pages of the writer's own stack
 * (which change while they are written) have none, and so are never
 * inherited. */
struct tcp_page_hash {
	uint64_t addr;
	uint64_t hash[2];	/* image/page_hash.h */
};

/* ---- process trees (issue 20, DESIGN §8) ----
 * A checkpoint of a process with descendants writes one image per process,
 * all of one generation: the root's NAME.GEN.tcp, written last, holds a
 * TREE section (after PROCESS) naming every other process and its image
 * NAME.GEN.pPID.tcp, each checked like an incremental parent (size, image
 * id, PROCESS checksum). The generation exists when the root's image does;
 * the members' images go with it. A member image is an ordinary image
 * (PROCESS, REGION..., THREAD..., FD..., END) whose objects may be shared
 * with other processes of the tree:
 *   - pipes (tcp_fd_pipe.pipe_id), sockets (tcp_fd_socket.ino/peer_ino)
 *     and shared memory (tcp_shm dev/inode) are one object wherever the
 *     same identity appears; its content is stored by one process only
 *     (TCP_FD_PIPE has_data, TCP_SHMF_ELSEWHERE);
 *   - an open file description held by several processes (inherited: one
 *     offset) is a TREE ofd group: opened once, held by every listed fd. */

/* TREE payload: this head, nprocs tcp_tree_proc (the root first, then
 * parents before their children), then nofds groups, each a tcp_tree_ofd
 * followed by nholders tcp_tree_holder. */
struct tcp_tree_head {
	uint32_t nprocs;	/* the root included */
	uint32_t nofds;
	uint64_t reserved[2];
};

#define TCP_TREEP_ROOT 1u	/* the root: this image itself (image name empty) */
#define TCP_TREEP_ZOMBIE 2u	/* exited, not reaped by its parent: no image; comes back as a
				 * zombie with exit_status */
#define TCP_TREEP_SESSION_LEADER 4u	/* called setsid(): sid == pid */
#define TCP_TREEP_GROUP_LEADER 8u	/* pgid == pid */
#define TCP_TREEP_OUTSIDE_GROUP 16u	/* its process group is not led by a process of the tree
					 * (the shell's): it keeps tcp-restore's */
#define TCP_TREEP_OUTSIDE_SESSION 32u	/* likewise for the session */

struct tcp_tree_proc {
	int32_t pid, ppid;	/* ppid: a process of the tree (the root's: 0) */
	int32_t pgid, sid;
	uint32_t flags;		/* TCP_TREEP_* */
	int32_t exit_status;	/* zombies: the wait status their parent will see */
	int32_t exit_signal;	/* signal the parent gets at its end (SIGCHLD, or 0) */
	int32_t pdeath_signal;	/* PR_SET_PDEATHSIG (0: none) */
	char comm[16];
	char image[TCP_PARENT_NAME_MAX];	/* member image in the root's directory */
	uint64_t image_size;
	uint64_t image_id[2];	/* its file header's identifier */
	uint64_t process_sum;	/* its PROCESS section's payload checksum */
	uint64_t reserved[2];
};

/* What a reader accepts (tcp-restore, tcp-inspect); a TREE beyond these
 * is refused as damaged, so the checkpoint must refuse such a tree first. */
#define TCP_TREE_MAX_PROCS 4096		/* nprocs, the root and zombies included */
#define TCP_TREE_MAX_HOLDERS 65536	/* holders of all ofd groups together (each group >= 2) */

struct tcp_tree_ofd {
	uint32_t nholders;
	uint32_t reserved0;
};

struct tcp_tree_holder {
	int32_t pid, fd;
};

/* A shared memory object whose content another process of the tree
 * stores (SHM section with no extents): TCP_SHMF_ELSEWHERE. */
#define TCP_SHMF_ELSEWHERE 8u

struct tcp_end {
	uint64_t section_count;	/* sections before END */
	uint64_t end_offset;	/* file offset of END's header */
};

#endif
