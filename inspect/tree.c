/* The process tree a root image names (TREE section, issue 20): every
 * process with its parent, group, session and command, the zombies with
 * the status their parent will reap, the member images; and the open
 * files several processes share (one offset). Text and JSON. */
#include "inspect.h"

#include <inttypes.h>
#include <string.h>
#include <sys/wait.h>

/* "exited 3", "killed by SIGTERM", "killed by SIGSEGV (core dumped)" */
static void status_text(int status, char *buf, size_t cap)
{
	char sig[32];
	if (WIFEXITED(status))
		snprintf(buf, cap, "exited %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, cap, "killed by %s%s", signal_name(WTERMSIG(status), sig, sizeof(sig)),
			 WCOREDUMP(status) ? " (core dumped)" : "");
	else
		snprintf(buf, cap, "status %#x", (unsigned)status);
}

/* A group or session id, marked when no process of the tree leads it. */
static void id_text(const struct tcp_image *img, int32_t id, char *buf, size_t cap)
{
	snprintf(buf, cap, "%d%s", id, img_tree_find(img, id) < 0 ? "*" : "");
}

void tree_text(FILE *out, const struct tcp_image *img)
{
	if (!img->tree)
		return;
	size_t zombies = 0;
	for (size_t i = 0; i < img->ntree; i++)
		zombies += (img->tree[i].flags & TCP_TREEP_ZOMBIE) != 0;
	fprintf(out, "\nprocess tree: %zu processes (%zu zombies), %zu open files shared between processes\n",
		img->ntree, zombies, img->ntree_ofds);
	fprintf(out, "  %-8s %-8s %-8s %-8s %-16s %s\n", "pid", "parent", "group", "session", "command", "image");
	int outside = 0;
	for (size_t i = 0; i < img->ntree; i++) {
		const struct tcp_tree_proc *p = &img->tree[i];
		char parent[16], group[16], session[16], sig[32];
		snprintf(parent, sizeof(parent), i ? "%d" : "-", p->ppid);
		id_text(img, p->pgid, group, sizeof(group));
		id_text(img, p->sid, session, sizeof(session));
		outside |= img_tree_find(img, p->pgid) < 0 || img_tree_find(img, p->sid) < 0;
		fprintf(out, "  %-8d %-8s %-8s %-8s ", p->pid, parent, group, session);
		size_t n = strnlen(p->comm, sizeof(p->comm));
		text_esc(out, p->comm, n);
		fprintf(out, "%*s ", (int)(n < 16 ? 16 - n : 0), "");
		if (p->flags & TCP_TREEP_ROOT) {
			fputs("this image", out);
		} else if (p->flags & TCP_TREEP_ZOMBIE) {
			char st[64];
			status_text(p->exit_status, st, sizeof(st));
			fprintf(out, "zombie, %s (not reaped yet)", st);
		} else {
			text_esc(out, p->image, strnlen(p->image, sizeof(p->image)));
			fprintf(out, " (%" PRIu64 " bytes)", p->image_size);
		}
		if (p->exit_signal != 17 && i)
			fprintf(out, ", exit signal %s", p->exit_signal ? signal_name(p->exit_signal, sig, sizeof(sig)) : "none");
		if (p->pdeath_signal)
			fprintf(out, ", parent-death signal %s", signal_name(p->pdeath_signal, sig, sizeof(sig)));
		fputc('\n', out);
	}
	if (outside)
		fputs("  (* led by no process of the tree: at restore, the group or session tcp-restore runs in)\n", out);
	if (img->ntree_ofds)
		fputs("  open files shared between processes (one open file description, one offset):\n", out);
	for (size_t g = 0; g < img->ntree_ofds; g++) {
		fputs("   ", out);
		for (uint32_t k = 0; k < img->tree_ofds[g].nholders; k++)
			fprintf(out, "%s pid %d fd %d", k ? "," : "", img->tree_ofds[g].holders[k].pid,
				img->tree_ofds[g].holders[k].fd);
		fputc('\n', out);
	}
}

static void flag_names(struct jw *w, uint32_t flags)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = { { TCP_TREEP_ROOT, "root" },
		      { TCP_TREEP_ZOMBIE, "zombie" },
		      { TCP_TREEP_SESSION_LEADER, "session-leader" },
		      { TCP_TREEP_GROUP_LEADER, "group-leader" },
		      { TCP_TREEP_OUTSIDE_GROUP, "outside-group" },
		      { TCP_TREEP_OUTSIDE_SESSION, "outside-session" } };
	jw_key(w, "flags");
	jw_begin(w, '[');
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			jw_str(w, names[i].name);
	jw_end(w, ']');
}

void tree_json(struct jw *w, const struct tcp_image *img)
{
	jw_key(w, "tree");
	if (!img->tree) {
		jw_null(w);
		return;
	}
	jw_begin(w, '{');
	jw_key(w, "processes");
	jw_begin(w, '[');
	for (size_t i = 0; i < img->ntree; i++) {
		const struct tcp_tree_proc *p = &img->tree[i];
		int zombie = (p->flags & TCP_TREEP_ZOMBIE) != 0;
		jw_begin(w, '{');
		jw_key(w, "pid");
		jw_int(w, p->pid);
		jw_key(w, "ppid");
		jw_int(w, p->ppid);
		jw_key(w, "pgid");
		jw_int(w, p->pgid);
		jw_key(w, "sid");
		jw_int(w, p->sid);
		jw_key(w, "comm");
		jw_strn(w, p->comm, strnlen(p->comm, sizeof(p->comm)));
		flag_names(w, p->flags);
		jw_key(w, "zombie");
		jw_bool(w, zombie);
		jw_key(w, "exit_status");
		if (zombie)
			jw_int(w, p->exit_status);
		else
			jw_null(w);
		jw_key(w, "exit_code");
		if (zombie && WIFEXITED(p->exit_status))
			jw_int(w, WEXITSTATUS(p->exit_status));
		else
			jw_null(w);
		jw_key(w, "killed_by");
		char sig[32];
		if (zombie && WIFSIGNALED(p->exit_status))
			jw_str(w, signal_name(WTERMSIG(p->exit_status), sig, sizeof(sig)));
		else
			jw_null(w);
		jw_key(w, "exit_signal");
		jw_int(w, p->exit_signal);
		jw_key(w, "pdeath_signal");
		jw_int(w, p->pdeath_signal);
		jw_key(w, "image");
		if (p->image[0])
			jw_strn(w, p->image, strnlen(p->image, sizeof(p->image)));
		else
			jw_null(w);
		jw_key(w, "image_size");
		jw_uint(w, p->image_size);
		jw_end(w, '}');
	}
	jw_end(w, ']');
	jw_key(w, "shared_files");
	jw_begin(w, '[');
	for (size_t g = 0; g < img->ntree_ofds; g++) {
		jw_begin(w, '[');
		for (uint32_t k = 0; k < img->tree_ofds[g].nholders; k++) {
			jw_begin(w, '{');
			jw_key(w, "pid");
			jw_int(w, img->tree_ofds[g].holders[k].pid);
			jw_key(w, "fd");
			jw_int(w, img->tree_ofds[g].holders[k].fd);
			jw_end(w, '}');
		}
		jw_end(w, ']');
	}
	jw_end(w, ']');
	jw_end(w, '}');
}
