/* tcp-inspect IMAGE: the report for people.
 * Strings from the image are printed with control bytes and backslashes
 * escaped (\xNN, \\), so a crafted path cannot drive the terminal. */
#include "inspect.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void text_esc(FILE *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\')
			fputs("\\\\", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

static void escs(FILE *out, const char *s)
{
	text_esc(out, s, strlen(s));
}

/* 0, 8K, 132K, 1.9M, 2.3G: region sizes are whole pages, so K is exact. */
const char *text_human(uint64_t b, char *buf, size_t len)
{
	if (b == 0)
		snprintf(buf, len, "0");
	else if (b < (1ull << 20))
		snprintf(buf, len, "%" PRIu64 "K", (b + 1023) / 1024);
	else if (b < (1ull << 30))
		snprintf(buf, len, "%.1fM", b / 1048576.0);
	else
		snprintf(buf, len, "%.1fG", b / 1073741824.0);
	return buf;
}

/* Joins names with a separator; "none" if there were none. */
struct joiner {
	FILE *out;
	const char *sep;
	int n;
};

static void join_item(void *ctx, const char *name)
{
	struct joiner *j = ctx;
	if (j->n++)
		fputs(j->sep, j->out);
	fputs(name, j->out);
}

static void join_end(struct joiner *j)
{
	if (!j->n)
		fputs("none", j->out);
}

/* A handler's mask is often "everything": then the few left out say more. */
static void sigset(FILE *out, uint64_t set)
{
	struct joiner j = { out, " ", 0 };
	if (__builtin_popcountll(set) > 32) {
		fputs(~set ? "all but " : "all", out);
		sigset_names(~set, join_item, &j);
		return;
	}
	sigset_names(set, join_item, &j);
	join_end(&j);
}

/* One argument, quoted as a shell would need it. */
static void arg_item(void *ctx, const char *a, size_t n)
{
	struct joiner *j = ctx;
	if (j->n++)
		fputc(' ', j->out);
	int plain = n > 0;
	for (size_t i = 0; i < n && plain; i++)
		plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,+@%^-",
			       a[i]) != NULL && a[i] != 0;
	if (plain) {
		fwrite(a, 1, n, j->out);
		return;
	}
	fputc('\'', j->out);
	for (size_t i = 0; i < n; i++) {
		if (a[i] == '\'')
			fputs("'\\''", j->out);
		else
			text_esc(j->out, a + i, 1);
	}
	fputc('\'', j->out);
}

/* "function+0x1a  (libfoo.so.6)", "(libfoo.so.6+0x1234)" or "?? [anon]" */
static void where(FILE *out, const struct sym_info *si)
{
	if (si->symbol) {
		escs(out, si->symbol);
		fprintf(out, "+0x%" PRIx64 "  (", si->sym_off);
		escs(out, si->base);
		fputc(')', out);
	} else if (si->file) {
		fputc('(', out);
		escs(out, si->base);
		fprintf(out, "+0x%" PRIx64 ")", si->file_off);
	} else {
		fprintf(out, "?? %s", si->label);
	}
}

static void header(FILE *out, const struct report *r)
{
	const struct tcp_image *img = r->img;
	const struct tcp_process *p = &img->proc;
	char when[80], h[32];
	format_time(p->time_sec, p->time_nsec, when, sizeof(when));

	fputs("tcp image ", out);
	escs(out, img->path);
	fprintf(out, "\n  format version    %u\n", img->hdr.version);
	fprintf(out, "  image id          %016" PRIx64 "%016" PRIx64 "\n", img->hdr.image_id[0], img->hdr.image_id[1]);
	fprintf(out, "  image size        %" PRIu64 " bytes (%s)\n", img->size, text_human(img->size, h, sizeof(h)));
	fputs("  program           ", out);
	escs(out, p->prog);
	fputs("  (comm ", out);
	text_esc(out, p->comm, strnlen(p->comm, sizeof(p->comm)));
	fputs(")\n  command line      ", out);
	struct joiner j = { out, " ", 0 };
	if (cmdline_args(p, arg_item, &j))
		fputs(" ... (truncated)", out);
	fputs("\n  executable        ", out);
	escs(out, p->exe);
	fputs("\n  working dir       ", out);
	escs(out, p->cwd);
	fprintf(out, "\n  pid               %d\n", p->pid);
	fprintf(out, "  uid/gid           %u/%u  (umask %04o)\n", p->uid, p->gid, p->umask);
	fputs("  host              ", out);
	escs(out, p->hostname);
	fputs("\n  job               ", out);
	escs(out, p->job[0] ? p->job : "-");
	fprintf(out, "\n  checkpointed at   %s\n", when);
	fprintf(out, "  generation        %u\n", p->generation);
	fprintf(out, "  run               %016llx\n", (unsigned long long)p->run_id);
}

static void memory(FILE *out, const struct report *r)
{
	const struct tcp_image *img = r->img;
	char a[32], b[32];
	size_t per_kind[8] = { 0 };
	fprintf(out, "\nmemory: %zu regions\n", img->nregions);
	fprintf(out, "  %-33s  %6s  %-4s  %-11s  %6s  %s\n", "address range", "size", "perm", "kind", "stored",
		"file (+offset)");
	for (size_t i = 0; i < img->nregions; i++) {
		const struct img_region *ir = &img->regions[i];
		char perms[5];
		region_perms(&ir->r, perms);
		if (ir->r.kind < 8)
			per_kind[ir->r.kind]++;
		fprintf(out, "  %016" PRIx64 "-%016" PRIx64 "  %6s  %-4s  %-11s  %6s  ", ir->r.start, ir->r.end,
			text_human(ir->r.end - ir->r.start, a, sizeof(a)), perms, region_kind_name(ir->r.kind),
			text_human(r->stored[i], b, sizeof(b)));
		if (region_is_file(ir->r.kind)) {
			escs(out, ir->path);
			fprintf(out, " (+0x%" PRIx64 ")", ir->r.offset);
		} else {
			/* [heap], [stack], [vdso]...: the name /proc/pid/maps gave it */
			escs(out, ir->path[0] ? ir->path : region_label(ir->r.kind));
		}
		if (ir->r.build_id_len) {
			fputs("  build-id ", out);
			for (uint32_t k = 0; k < ir->r.build_id_len; k++)
				fprintf(out, "%02x", ir->r.build_id[k]);
		}
		char vmflags[32];
		region_vmflags(&ir->r, vmflags, sizeof(vmflags));
		if (vmflags[0])
			fprintf(out, "  vmflags %s", vmflags);
		fputc('\n', out);
	}
	fprintf(out, "  totals: %zu regions (", img->nregions);
	int n = 0;
	for (uint32_t k = 1; k < 8; k++)
		if (per_kind[k])
			fprintf(out, "%s%zu %s", n++ ? ", " : "", per_kind[k], region_kind_name(k));
	fprintf(out, "), %s mapped, %s stored in the image (%" PRIu64 " bytes)\n", text_human(mapped_bytes(img), a, sizeof(a)),
		text_human(img->page_bytes, b, sizeof(b)), img->page_bytes);
	if (img->nzpages) {
		uint64_t raw = 0, stored = 0;
		for (size_t k = 0; k < img->nzpages; k++) {
			raw += img->zpages[k].head.raw_bytes;
			stored += img->zpages[k].stored_bytes;
		}
		fprintf(out, "  compressed (zstd): %s of pages in %zu sections stored as %s (%" PRIu64
			" bytes), ratio %.2f\n", text_human(raw, a, sizeof(a)), img->nzpages, text_human(stored, b, sizeof(b)), stored,
			stored ? (double)raw / (double)stored : 0.0);
	}
	if (img->nparents) {
		/* An incremental image (TCP_INCREMENTAL): where the other pages are. */
		uint64_t stored = img->page_bytes / TCP_PAGE_SIZE;
		fprintf(out, "  incremental: %" PRIu64 " pages stored, %" PRIu64 " inherited (%s) from %zu older images:\n",
			stored, img->ref_pages, text_human(img->ref_pages * TCP_PAGE_SIZE, a, sizeof(a)), img->nparents);
		for (size_t i = 0; i < img->nparents; i++) {
			uint64_t pages = 0;
			for (size_t k = 0; k < img->nextents; k++)
				if (img->extents[k].source == i + 1)
					pages += img->extents[k].npages;
			fprintf(out, "    %s  generation %u, %" PRIu64 " bytes, %" PRIu64 " pages taken from it\n",
				img->parents[i].p.name, img->parents[i].p.generation, img->parents[i].p.size, pages);
		}
	} else if (img->has_hashes) {
		fprintf(out, "  incremental: a full image with page hashes (the next checkpoint can build on it)\n");
	}
}

/* What a record holds beyond its flags and path, in brackets. */
static void fd_details(FILE *out, const struct tcp_fd *f)
{
	uint64_t data = TCP_FD_DATA_LEN(f);
	switch (f->kind) {
	case TCP_FD_DELETED:
		fprintf(out, "  [%" PRIu64 " bytes of content in the image]", data);
		break;
	case TCP_FD_DUP:
		fprintf(out, "  [the open file of fd %d]", f->same_as);
		break;
	case TCP_FD_PIPE:
		if (data)
			fprintf(out, "  [%" PRIu64 " bytes were in the pipe]", data);
		break;
	case TCP_FD_EVENTFD:
		fprintf(out, "  [counter %" PRIu64 "%s]", f->u.eventfd.count, f->u.eventfd.semaphore ? ", semaphore" : "");
		break;
	case TCP_FD_EPOLL:
		fprintf(out, "  [%u registered fds]", f->u.epoll.nitems);
		break;
	case TCP_FD_PTY:
		fprintf(out, "  [%s of /dev/pts/%u, made again at restore", f->u.pty.master ? "master" : "slave end",
			f->u.pty.index);
		if (data)
			fprintf(out, "; %" PRIu64 " bytes of output were not read yet", data);
		fputc(']', out);
		break;
	case TCP_FD_SOCKET: {
		const struct tcp_fd_socket *k = &f->u.sock;
		const char *fam = k->family == 1 ? "unix" : k->family == 2 ? "ipv4" : k->family == 10 ? "ipv6" : "?";
		const char *type = k->type == 1 ? "stream" : k->type == 2 ? "datagram" : k->type == 5 ? "seqpacket" : "?";
		fprintf(out, "  [%s %s, ", fam, type);
		if (k->role == TCP_SOCK_PAIR && k->peer_fd >= 0)
			fprintf(out, "connected to fd %d", k->peer_fd);
		else if (k->role == TCP_SOCK_PAIR)
			fputs("its peer was closed", out);
		else if (k->role == TCP_SOCK_LISTEN)
			fprintf(out, "listening, backlog %u", k->backlog);
		else if (k->role == TCP_SOCK_GONE)
			fputs("connection to the outside, restored as lost (TCP_SOCKETS=close)", out);
		else if (k->role == TCP_SOCK_TREE_PAIR)
			fprintf(out, "connected to socket %llu of another process of the tree", (unsigned long long)k->peer_ino);
		else
			fputs("not connected", out);
		char a[160];
		if (sock_addr_text(k->addr, k->addr_len, a, sizeof(a)))
			fprintf(out, ", address %s", a);
		if (sock_addr_text(k->peer, k->peer_len, a, sizeof(a)))
			fprintf(out, ", peer %s", a);
		if (data && k->type == 1) /* a stream: messages are just chunks, each with a 4-byte length */
			fprintf(out, ", %" PRIu64 " bytes queued", data - (uint64_t)4 * k->nmsgs);
		else if (data)
			fprintf(out, ", %u message%s queued%s", k->nmsgs, k->nmsgs == 1 ? "" : "s",
				(k->qflags & TCP_SOCKQ_SENDERS) ? " with their senders (below)" : "");
		if (k->shutdown && k->role != TCP_SOCK_LISTEN)
			fputs(k->shutdown == 3 ? ", shut down" : k->shutdown == 2 ? ", writing shut down" : ", reading shut down",
			      out);
		fputc(']', out);
		break;
	}
	default:
		break;
	}
	if (f->nlocks)
		fprintf(out, "  [%u lock%s held]", f->nlocks, f->nlocks == 1 ? "" : "s");
}

/* The senders of datagrams kept on an unconnected socket
 * (TCP_SOCKQ_SENDERS), one line each (the first 16), read from the image
 * file: they are sent again from there at restore. */
static void dgram_senders(FILE *out, const struct tcp_image *img, const struct img_fd *d)
{
	uint64_t len = TCP_FD_DATA_LEN(&d->f);
	if (d->f.kind != TCP_FD_SOCKET || !(d->f.u.sock.qflags & TCP_SOCKQ_SENDERS) || !len || len > (64u << 20))
		return;
	char *buf = malloc(len);
	FILE *f = buf ? fopen(img->path, "rb") : NULL;
	int ok = f && fseeko(f, (off_t)d->content_off, SEEK_SET) == 0 && fread(buf, 1, len, f) == len;
	if (f)
		fclose(f);
	uint64_t off = 0;
	for (uint32_t i = 0; ok && i < d->f.u.sock.nmsgs && off + 8 <= len; i++) {
		uint32_t word, flen;
		memcpy(&word, buf + off, 4);
		memcpy(&flen, buf + off + 4, 4);
		off += 8;
		if (flen > TCP_SOCK_ADDR_MAX || flen > len - off || (word & TCP_SOCK_MSG_LEN) > len - off - flen)
			break;
		char a[160];
		if (i < 16)
			fprintf(out, "%8s datagram %u: %u byte%s from %s\n", "", i + 1, word & TCP_SOCK_MSG_LEN,
				(word & TCP_SOCK_MSG_LEN) == 1 ? "" : "s",
				flen ? (sock_addr_text((const uint8_t *)buf + off, flen, a, sizeof(a)) ?: "?") : "an unnamed socket");
		else if (i == 16)
			fprintf(out, "%8s ...\n", "");
		off += flen + (word & TCP_SOCK_MSG_LEN);
	}
	free(buf);
}

static void fds(FILE *out, const struct report *r)
{
	const struct tcp_image *img = r->img;
	fprintf(out, "\nfile descriptors: %zu\n", img->nfds);
	if (!img->nfds)
		return;
	fprintf(out, "  %3s  %-9s  %-36s  %12s  %12s  %s\n", "fd", "kind", "flags", "offset", "size", "path");
	for (size_t i = 0; i < img->nfds; i++) {
		const struct img_fd *d = &img->fds[i];
		char flags[256];
		FILE *m = fmemopen(flags, sizeof(flags), "w");
		if (m) {
			struct joiner j = { m, "|", 0 };
			open_flag_names(d->f.flags, d->f.cloexec, join_item, &j);
			fclose(m);
		} else {
			snprintf(flags, sizeof(flags), "0%o", d->f.flags);
		}
		fprintf(out, "  %3d  %-9s  %-36s  %12" PRIu64 "  %12" PRIu64 "  ", d->f.fd, fd_kind_name(d->f.kind), flags,
			d->f.pos, d->f.size);
		if (d->f.path_len)
			escs(out, d->path);
		else	/* an inherited pipe or socket: no path, tcp-restore's own is used */
			fprintf(out, "(%s)", file_type_name(d->f.mode));
		fd_details(out, &d->f);
		fputc('\n', out);
		dgram_senders(out, img, d);
	}
}

/* Shared memory objects, each stored once however many mappings and fds
 * use it. */
static void shms(FILE *out, const struct report *r)
{
	const struct tcp_image *img = r->img;
	if (!img->nshms)
		return;
	fprintf(out, "\nshared memory: %zu\n", img->nshms);
	fprintf(out, "  %-6s  %12s  %12s  %s\n", "type", "size", "stored", "name");
	for (size_t i = 0; i < img->nshms; i++) {
		const struct img_shm *m = &img->shms[i];
		fprintf(out, "  %-6s  %12" PRIu64 "  %12" PRIu64 "  ", shm_type_name(m->s.type), m->s.size,
			m->s.data_len);
		if (m->s.type == TCP_SHM_SYSV)
			fprintf(out, "key 0x%08x, id %d", (uint32_t)m->s.sysv_key, m->s.sysv_id);
		else if (m->name && m->name[0])
			escs(out, m->name);
		else
			fputs("(no name)", out);
		fprintf(out, "  [mode %03o", m->s.mode & 0777);
		if (m->s.seals)
			fprintf(out, ", seals 0x%x", m->s.seals);
		struct joiner j = { out, ", ", 1 };
		shm_flag_names(m->s.flags, join_item, &j);
		fputs("]\n", out);
	}
}

static void signals(FILE *out, const struct report *r)
{
	const struct tcp_process *p = &r->img->proc;
	char buf[24];
	fputs("\nsignals\n  handlers (other than the default):\n", out);
	int any = 0;
	for (int s = 1; s <= TCP_NSIG; s++) {
		const struct tcp_ksigaction *sa = &p->sigactions[s - 1];
		if (sig_disposition_default(sa))
			continue;
		any = 1;
		fprintf(out, "    %-12s ", signal_name(s, buf, sizeof(buf)));
		if (sa->handler == 1) {	/* SIG_IGN */
			fputs("ignored\n", out);
			continue;
		}
		struct sym_info si;
		symz_lookup(r->symz, sa->handler, 0, &si);
		fprintf(out, "0x%016" PRIx64 "  ", sa->handler);
		where(out, &si);
		fputs("\n                 flags ", out);
		struct joiner j = { out, "|", 0 };
		sa_flag_names(sa->flags, join_item, &j);
		join_end(&j);
		fputs("  mask ", out);
		sigset(out, sa->mask);
		fputc('\n', out);
	}
	if (!any)
		fputs("    none\n", out);
	fputs("  pending: ", out);
	sigset(out, p->pending);
	fputs("\n  itimers:", out);
	any = 0;
	for (int i = 0; i < 3; i++) {
		const struct tcp_itimer *t = &p->itimers[i];
		if (!t->value_sec && !t->value_usec)
			continue;
		any = 1;
		fprintf(out, "\n    %-14s next in %" PRId64 ".%06" PRId64 " s, every %" PRId64 ".%06" PRId64 " s",
			itimer_name(i), t->value_sec, t->value_usec, t->interval_sec, t->interval_usec);
	}
	fputs(any ? "\n" : " none armed\n", out);
	fputs("  rlimits that are not unlimited:", out);
	any = 0;
	for (int i = 0; i < TCP_NRLIMITS; i++) {
		const struct tcp_rlimit *l = &p->rlimits[i];
		if (l->cur == UINT64_MAX && l->max == UINT64_MAX)
			continue;
		char soft[24] = "unlimited", hard[24] = "unlimited";
		if (l->cur != UINT64_MAX)
			snprintf(soft, sizeof(soft), "%" PRIu64, l->cur);
		if (l->max != UINT64_MAX)
			snprintf(hard, sizeof(hard), "%" PRIu64, l->max);
		const char *name = rlimit_name(i);
		fprintf(out, "\n    %-18s soft %-12s hard %s", name ? name : "?", soft, hard);
		any = 1;
	}
	fputs(any ? "\n" : " none\n", out);
	struct joiner j = { out, " ", 0 };
	fprintf(out, "  XSAVE: CPU (XCR0) 0x%" PRIx64 ": ", p->xcr0);
	xfeature_names(p->xcr0, join_item, &j);
	join_end(&j);
	j.n = 0;
	fprintf(out, "\n         in the signal frame 0x%" PRIx64 ": ", p->xfeatures);
	xfeature_names(p->xfeatures, join_item, &j);
	join_end(&j);
	fprintf(out, "\n         xstate size %u bytes\n", p->xstate_size);
}

/* CPUs and scheduling; "(set by the program)": set again at restore. */
static void sched(FILE *out, const struct tcp_thread *t)
{
	if (!(t->sched_state & (TCP_SCHED_CPUS_KNOWN | TCP_SCHED_ATTR_KNOWN)))
		return;
	fputs("    ", out);
	if (t->sched_state & TCP_SCHED_CPUS_KNOWN) {
		char cpus[512];
		cpu_list(t->cpus, cpus, sizeof(cpus));
		fprintf(out, "CPUs %s%s  ", cpus, t->sched_state & TCP_SCHED_CPUS_PINNED ? " (set by the program)" : "");
	}
	if (t->sched_state & TCP_SCHED_ATTR_KNOWN) {
		fputs(sched_policy_name(t->sched_policy), out);
		if (t->sched_policy == 1 || t->sched_policy == 2)
			fprintf(out, " priority %u", t->sched_priority);
		else
			fprintf(out, " nice %d", t->sched_nice);
		if (t->sched_flags & 1)
			fputs(" reset-on-fork", out);
		fputs(t->sched_state & TCP_SCHED_ATTR_SET ? " (set by the program)" : "", out);
	}
	fputc('\n', out);
}

static void threads(FILE *out, const struct report *r)
{
	const struct tcp_image *img = r->img;
	fprintf(out, "\nthreads: %zu\n", img->nthreads);
	for (size_t i = 0; i < img->nthreads; i++) {
		const struct tcp_thread *t = &img->threads[i];
		struct sym_info si;
		fprintf(out, "  thread %d%s  ", t->tid, t->is_leader ? " (leader)" : "");
		if (t->comm[0]) {
			fputs("name ", out);
			text_esc(out, t->comm, strnlen(t->comm, sizeof(t->comm)));
			fputs("  ", out);
		}
		fprintf(out, "fs base 0x%" PRIx64 "  signal mask: ", t->fs_base);
		sigset(out, t->sigmask);
		if (t->pending) {
			fputs("  pending for it: ", out);
			sigset(out, t->pending);
		}
		fputc('\n', out);
		sched(out, t);
		if (t->nframes == 0) {
			/* An image from before backtraces were recorded: the
			 * signal frame in the stored stack still tells where. */
			fputs("    (no backtrace recorded)\n", out);
			uint64_t ip;
			if (interrupted_ip(img, t, &ip) == 0) {
				symz_lookup(r->symz, ip, 0, &si);
				fprintf(out, "    interrupted at 0x%016" PRIx64 "  ", ip);
				where(out, &si);
				fputc('\n', out);
			}
			continue;
		}
		fputs("    backtrace:\n", out);
		for (uint32_t k = 0; k < t->nframes && k < TCP_MAX_FRAMES; k++) {
			symz_lookup(r->symz, t->frames[k], k > 0, &si);
			fprintf(out, "      #%-2u 0x%016" PRIx64 "  ", k, t->frames[k]);
			where(out, &si);
			fputc('\n', out);
		}
	}
}

struct problems {
	FILE *out;
	int n;
};

static void problem(void *ctx, const char *path, const char *why)
{
	struct problems *p = ctx;
	if (!p->n++)
		fputs("\nsymbols: addresses in these files are shown as file+offset\n", p->out);
	fputs("  ", p->out);
	escs(p->out, path);
	fprintf(p->out, ": %s\n", why);
}

int print_text(FILE *out, const struct report *r)
{
	header(out, r);
	tree_text(out, r->img);
	memory(out, r);
	fds(out, r);
	shms(out, r);
	signals(out, r);
	threads(out, r);
	/* Once every address was looked up: which files could not help. */
	struct problems p = { out, 0 };
	symz_problems(r->symz, problem, &p);
	return 0;
}
