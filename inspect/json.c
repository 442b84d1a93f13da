/* tcp-inspect --json: the report as one JSON document.
 * Addresses and 64-bit masks are "0x..." strings (a JSON number is a double
 * for most readers and would lose their low bits); sizes are numbers. */
#include "inspect.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void name_item(void *ctx, const char *name)
{
	jw_str(ctx, name);
}

static void name_list(struct jw *w, const char *key, void (*fn)(uint64_t, name_cb, void *), uint64_t v)
{
	jw_key(w, key);
	jw_begin(w, '[');
	fn(v, name_item, w);
	jw_end(w, ']');
}

/* The fields describing a symbolized address, inside the current object. */
static void sym_fields(struct jw *w, const struct sym_info *si)
{
	jw_key(w, "addr");
	jw_hex(w, si->addr);
	jw_key(w, "symbol");
	jw_str(w, si->symbol);
	/* offset: from the symbol if there is one, else from the file start */
	jw_key(w, "offset");
	if (si->symbol)
		jw_uint(w, si->sym_off);
	else if (si->file)
		jw_uint(w, si->file_off);
	else
		jw_null(w);
	jw_key(w, "file");
	jw_str(w, si->file);
	jw_key(w, "file_offset");
	if (si->file)
		jw_uint(w, si->file_off);
	else
		jw_null(w);
	jw_key(w, "region");
	jw_str(w, si->kind);
}

static void arg_item(void *ctx, const char *a, size_t n)
{
	jw_strn(ctx, a, n);
}

static void header(struct jw *w, const struct report *r)
{
	const struct tcp_image *img = r->img;
	const struct tcp_process *p = &img->proc;
	char when[80];
	format_time(p->time_sec, p->time_nsec, when, sizeof(when));

	jw_key(w, "header");
	jw_begin(w, '{');
	jw_key(w, "format_version");
	jw_uint(w, img->hdr.version);
	jw_key(w, "image");
	jw_str(w, img->path);
	char id[40];
	snprintf(id, sizeof(id), "%016" PRIx64 "%016" PRIx64, img->hdr.image_id[0], img->hdr.image_id[1]);
	jw_key(w, "image_id");
	jw_str(w, id);
	jw_key(w, "size");
	jw_uint(w, img->size);
	jw_key(w, "prog");
	jw_str(w, p->prog);
	jw_key(w, "comm");
	jw_strn(w, p->comm, strnlen(p->comm, sizeof(p->comm)));
	jw_key(w, "cmdline");
	jw_begin(w, '[');
	int truncated = cmdline_args(p, arg_item, w);
	jw_end(w, ']');
	jw_key(w, "cmdline_truncated");
	jw_bool(w, truncated);
	jw_key(w, "exe");
	jw_str(w, p->exe);
	jw_key(w, "cwd");
	jw_str(w, p->cwd);
	jw_key(w, "pid");
	jw_int(w, p->pid);
	jw_key(w, "uid");
	jw_uint(w, p->uid);
	jw_key(w, "gid");
	jw_uint(w, p->gid);
	jw_key(w, "umask");
	jw_uint(w, p->umask);
	jw_key(w, "host");
	jw_str(w, p->hostname);
	jw_key(w, "job"); /* "" outside a batch job */
	jw_str(w, p->job);
	jw_key(w, "time");
	jw_str(w, when);
	jw_key(w, "time_sec");
	jw_int(w, p->time_sec);
	jw_key(w, "time_nsec");
	jw_int(w, p->time_nsec);
	jw_key(w, "generation");
	jw_uint(w, p->generation);
	jw_key(w, "run");
	char run[20];
	snprintf(run, sizeof(run), "%016llx", (unsigned long long)p->run_id);
	jw_str(w, run);
	jw_end(w, '}');
}

static void regions(struct jw *w, const struct report *r)
{
	const struct tcp_image *img = r->img;
	jw_key(w, "regions");
	jw_begin(w, '[');
	for (size_t i = 0; i < img->nregions; i++) {
		const struct img_region *ir = &img->regions[i];
		int file = region_is_file(ir->r.kind);
		char perms[5];
		region_perms(&ir->r, perms);
		jw_begin(w, '{');
		jw_key(w, "start");
		jw_hex(w, ir->r.start);
		jw_key(w, "end");
		jw_hex(w, ir->r.end);
		jw_key(w, "size");
		jw_uint(w, ir->r.end - ir->r.start);
		jw_key(w, "perms");
		jw_str(w, perms);
		jw_key(w, "kind");
		jw_str(w, region_kind_name(ir->r.kind));
		jw_key(w, "file");
		jw_str(w, file ? ir->path : NULL);
		jw_key(w, "offset");
		if (file)
			jw_uint(w, ir->r.offset);
		else
			jw_null(w);
		jw_key(w, "stored_bytes");
		jw_uint(w, r->stored[i]);
		jw_key(w, "build_id");
		if (ir->r.build_id_len) {
			char hex[2 * sizeof(ir->r.build_id) + 1];
			for (uint32_t k = 0; k < ir->r.build_id_len; k++)
				snprintf(hex + 2 * k, 3, "%02x", ir->r.build_id[k]);
			jw_str(w, hex);
		} else {
			jw_null(w);
		}
		jw_key(w, "growsdown");
		jw_bool(w, (ir->r.flags & TCP_REGF_GROWSDOWN) != 0);
		char vmflags[32];
		region_vmflags(&ir->r, vmflags, sizeof(vmflags));
		jw_key(w, "vmflags"); /* smaps mnemonics, space separated */
		jw_str(w, vmflags);
		jw_end(w, '}');
	}
	jw_end(w, ']');

	jw_key(w, "totals");
	jw_begin(w, '{');
	jw_key(w, "regions");
	jw_uint(w, img->nregions);
	jw_key(w, "mapped_bytes");
	jw_uint(w, mapped_bytes(img));
	jw_key(w, "stored_bytes");
	jw_uint(w, img->page_bytes);
	jw_key(w, "inherited_bytes");
	jw_uint(w, img->ref_pages * TCP_PAGE_SIZE);
	uint64_t zraw = 0, zstored = 0;
	for (size_t k = 0; k < img->nzpages; k++) {
		zraw += img->zpages[k].head.raw_bytes;
		zstored += img->zpages[k].stored_bytes;
	}
	jw_key(w, "compressed_raw_bytes");
	jw_uint(w, zraw);
	jw_key(w, "compressed_stored_bytes");
	jw_uint(w, zstored);
	jw_end(w, '}');
	/* Incremental images: the older images the inherited pages are in. */
	jw_key(w, "parents");
	jw_begin(w, '[');
	for (size_t i = 0; i < img->nparents; i++) {
		jw_begin(w, '{');
		jw_key(w, "name");
		jw_str(w, img->parents[i].p.name);
		jw_key(w, "generation");
		jw_uint(w, img->parents[i].p.generation);
		jw_key(w, "size");
		jw_uint(w, img->parents[i].p.size);
		jw_end(w, '}');
	}
	jw_end(w, ']');
}

static void fds(struct jw *w, const struct report *r)
{
	const struct tcp_image *img = r->img;
	jw_key(w, "fds");
	jw_begin(w, '[');
	for (size_t i = 0; i < img->nfds; i++) {
		const struct img_fd *d = &img->fds[i];
		jw_begin(w, '{');
		jw_key(w, "fd");
		jw_int(w, d->f.fd);
		jw_key(w, "kind");
		jw_str(w, fd_kind_name(d->f.kind));
		jw_key(w, "type");
		jw_str(w, file_type_name(d->f.mode));
		jw_key(w, "flags");
		jw_begin(w, '[');
		open_flag_names(d->f.flags, d->f.cloexec, name_item, w);
		jw_end(w, ']');
		jw_key(w, "flags_raw");
		jw_uint(w, d->f.flags);
		jw_key(w, "cloexec");
		jw_bool(w, d->f.cloexec != 0);
		jw_key(w, "offset");
		jw_uint(w, d->f.pos);
		jw_key(w, "size");
		jw_uint(w, d->f.size);
		jw_key(w, "path");
		jw_str(w, d->f.path_len ? d->path : NULL);
		jw_key(w, "content_bytes");
		jw_uint(w, d->f.content_len);
		if (d->f.kind == TCP_FD_SOCKET) {
			const struct tcp_fd_socket *k = &d->f.u.sock;
			char a[160];
			jw_key(w, "address");
			jw_str(w, sock_addr_text(k->addr, k->addr_len, a, sizeof(a)));
			jw_key(w, "peer");
			jw_str(w, sock_addr_text(k->peer, k->peer_len, a, sizeof(a)));
			jw_key(w, "queue_with_senders");
			jw_bool(w, (k->qflags & TCP_SOCKQ_SENDERS) != 0);
		}
		jw_end(w, '}');
	}
	jw_end(w, ']');
}

static void shms(struct jw *w, const struct report *r)
{
	const struct tcp_image *img = r->img;
	jw_key(w, "shared_memory");
	jw_begin(w, '[');
	for (size_t i = 0; i < img->nshms; i++) {
		const struct img_shm *m = &img->shms[i];
		int sysv = m->s.type == TCP_SHM_SYSV;
		jw_begin(w, '{');
		jw_key(w, "type");
		jw_str(w, shm_type_name(m->s.type));
		jw_key(w, "name");
		jw_str(w, !sysv && m->name && m->name[0] ? m->name : NULL);
		jw_key(w, "size");
		jw_uint(w, m->s.size);
		jw_key(w, "stored_bytes");
		jw_uint(w, m->s.data_len);
		jw_key(w, "mode");
		jw_uint(w, m->s.mode & 07777);
		jw_key(w, "seals");
		jw_uint(w, m->s.seals);
		jw_key(w, "sysv_key");
		if (sysv)
			jw_int(w, m->s.sysv_key);
		else
			jw_null(w);
		jw_key(w, "sysv_id");
		if (sysv)
			jw_int(w, m->s.sysv_id);
		else
			jw_null(w);
		jw_key(w, "flags");
		jw_begin(w, '[');
		shm_flag_names(m->s.flags, name_item, w);
		jw_end(w, ']');
		jw_end(w, '}');
	}
	jw_end(w, ']');
}

static void signals(struct jw *w, const struct report *r)
{
	const struct tcp_process *p = &r->img->proc;
	char buf[24];
	jw_key(w, "signals");
	jw_begin(w, '{');

	jw_key(w, "actions");
	jw_begin(w, '[');
	for (int s = 1; s <= TCP_NSIG; s++) {
		const struct tcp_ksigaction *sa = &p->sigactions[s - 1];
		if (sig_disposition_default(sa))
			continue;
		jw_begin(w, '{');
		jw_key(w, "signal");
		jw_str(w, signal_name(s, buf, sizeof(buf)));
		jw_key(w, "number");
		jw_int(w, s);
		jw_key(w, "disposition");
		jw_str(w, sa->handler == 1 ? "ignore" : "handler");
		if (sa->handler != 1) {
			struct sym_info si;
			symz_lookup(r->symz, sa->handler, 0, &si);
			jw_key(w, "handler");
			jw_begin(w, '{');
			sym_fields(w, &si);
			jw_end(w, '}');
		}
		name_list(w, "flags", sa_flag_names, sa->flags);
		name_list(w, "mask", sigset_names, sa->mask);
		jw_end(w, '}');
	}
	jw_end(w, ']');

	name_list(w, "pending", sigset_names, p->pending);

	jw_key(w, "itimers");
	jw_begin(w, '[');
	for (int i = 0; i < 3; i++) {
		const struct tcp_itimer *t = &p->itimers[i];
		if (!t->value_sec && !t->value_usec)
			continue;	/* disarmed */
		jw_begin(w, '{');
		jw_key(w, "which");
		jw_str(w, itimer_name(i));
		jw_key(w, "value_sec");
		jw_int(w, t->value_sec);
		jw_key(w, "value_usec");
		jw_int(w, t->value_usec);
		jw_key(w, "interval_sec");
		jw_int(w, t->interval_sec);
		jw_key(w, "interval_usec");
		jw_int(w, t->interval_usec);
		jw_end(w, '}');
	}
	jw_end(w, ']');

	/* Only the finite ones; "unlimited" is null. */
	jw_key(w, "rlimits");
	jw_begin(w, '[');
	for (int i = 0; i < TCP_NRLIMITS; i++) {
		const struct tcp_rlimit *l = &p->rlimits[i];
		if (l->cur == UINT64_MAX && l->max == UINT64_MAX)
			continue;
		jw_begin(w, '{');
		jw_key(w, "name");
		const char *n = rlimit_name(i);
		if (n)
			jw_str(w, n);
		else
			jw_int(w, i);
		jw_key(w, "soft");
		if (l->cur == UINT64_MAX)
			jw_null(w);
		else
			jw_uint(w, l->cur);
		jw_key(w, "hard");
		if (l->max == UINT64_MAX)
			jw_null(w);
		else
			jw_uint(w, l->max);
		jw_end(w, '}');
	}
	jw_end(w, ']');

	jw_key(w, "xcr0");
	jw_hex(w, p->xcr0);
	name_list(w, "xcr0_features", xfeature_names, p->xcr0);
	jw_key(w, "xfeatures");
	jw_hex(w, p->xfeatures);
	name_list(w, "xfeature_names", xfeature_names, p->xfeatures);
	jw_key(w, "xstate_size");
	jw_uint(w, p->xstate_size);
	jw_end(w, '}');
}

/* CPUs and scheduling; "..._set_by_program": set again at restore. */
static void sched_fields(struct jw *w, const struct tcp_thread *t)
{
	int cpus = (t->sched_state & TCP_SCHED_CPUS_KNOWN) != 0, attr = (t->sched_state & TCP_SCHED_ATTR_KNOWN) != 0;
	jw_key(w, "cpus");
	if (cpus) {
		jw_begin(w, '[');
		for (int c = 0; c < TCP_SCHED_CPU_WORDS * 64; c++)
			if (t->cpus[c / 64] >> (c % 64) & 1)
				jw_int(w, c);
		jw_end(w, ']');
	} else {
		jw_null(w);
	}
	jw_key(w, "cpus_set_by_program");
	jw_bool(w, (t->sched_state & TCP_SCHED_CPUS_PINNED) != 0);
	jw_key(w, "sched_policy");
	if (attr)
		jw_str(w, sched_policy_name(t->sched_policy));
	else
		jw_null(w);
	jw_key(w, "nice");
	if (attr)
		jw_int(w, t->sched_nice);
	else
		jw_null(w);
	jw_key(w, "rt_priority");
	if (attr)
		jw_uint(w, t->sched_priority);
	else
		jw_null(w);
	jw_key(w, "sched_set_by_program");
	jw_bool(w, (t->sched_state & TCP_SCHED_ATTR_SET) != 0);
}

static void threads(struct jw *w, const struct report *r)
{
	const struct tcp_image *img = r->img;
	jw_key(w, "threads");
	jw_begin(w, '[');
	for (size_t i = 0; i < img->nthreads; i++) {
		const struct tcp_thread *t = &img->threads[i];
		struct sym_info si;
		jw_begin(w, '{');
		jw_key(w, "tid");
		jw_int(w, t->tid);
		jw_key(w, "leader");
		jw_bool(w, t->is_leader != 0);
		jw_key(w, "name");
		jw_strn(w, t->comm, strnlen(t->comm, sizeof(t->comm)));
		jw_key(w, "fs_base");
		jw_hex(w, t->fs_base);
		jw_key(w, "sigmask_raw");
		jw_hex(w, t->sigmask);
		name_list(w, "sigmask", sigset_names, t->sigmask);
		name_list(w, "pending", sigset_names, t->pending);
		sched_fields(w, t);
		uint64_t ip;
		jw_key(w, "interrupted_at");
		if (interrupted_ip(img, t, &ip) == 0) {
			symz_lookup(r->symz, ip, 0, &si);
			jw_begin(w, '{');
			sym_fields(w, &si);
			jw_end(w, '}');
		} else {
			jw_null(w);
		}
		jw_key(w, "frames");
		jw_begin(w, '[');
		for (uint32_t k = 0; k < t->nframes && k < TCP_MAX_FRAMES; k++) {
			symz_lookup(r->symz, t->frames[k], k > 0, &si);
			jw_begin(w, '{');
			sym_fields(w, &si);
			jw_end(w, '}');
		}
		jw_end(w, ']');
		jw_end(w, '}');
	}
	jw_end(w, ']');
}

static void problem_item(void *ctx, const char *path, const char *why)
{
	struct jw *w = ctx;
	jw_begin(w, '{');
	jw_key(w, "file");
	jw_str(w, path);
	jw_key(w, "reason");
	jw_str(w, why);
	jw_end(w, '}');
}

int print_json(FILE *out, const struct report *r)
{
	struct jw w;
	jw_init(&w, out);
	jw_begin(&w, '{');
	header(&w, r);
	tree_json(&w, r->img);
	regions(&w, r);
	fds(&w, r);
	shms(&w, r);
	signals(&w, r);
	threads(&w, r);
	/* after everything that symbolizes: files whose symbols were not used */
	jw_key(&w, "symbol_problems");
	jw_begin(&w, '[');
	symz_problems(r->symz, problem_item, &w);
	jw_end(&w, ']');
	jw_end(&w, '}');
	return 0;
}
