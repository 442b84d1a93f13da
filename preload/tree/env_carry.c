/* The environment an exec of the tree gets (env_carry.h). Pure string
 * work, no libc at all: it also runs in the checkpoint handler. */
#include "env_carry.h"

static size_t len(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

/* The length of the variable name of "NAME=value" (up to '='). */
static size_t name_len(const char *entry)
{
	size_t n = 0;
	while (entry[n] && entry[n] != '=')
		n++;
	return n;
}

static int same_name(const char *a, const char *b)
{
	size_t n = name_len(a);
	if (n != name_len(b))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

static const char *base_name(const char *p, size_t n, size_t *blen)
{
	size_t start = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] == '/')
			start = i + 1;
	*blen = n - start;
	return p + start;
}

int tcp_preload_has(const char *value, const char *lib)
{
	size_t liblen = len(lib), libbase_len;
	const char *libbase = base_name(lib, liblen, &libbase_len);
	for (const char *p = value; *p;) {
		while (*p == ' ' || *p == ':')
			p++;
		size_t n = 0;
		while (p[n] && p[n] != ' ' && p[n] != ':')
			n++;
		if (!n)
			break;
		size_t blen;
		const char *b = base_name(p, n, &blen);
		int same_path = n == liblen;
		for (size_t i = 0; same_path && i < n; i++)
			same_path = p[i] == lib[i];
		int same_base = blen == libbase_len;
		for (size_t i = 0; same_base && i < blen; i++)
			same_base = b[i] == libbase[i];
		if (same_path || same_base)
			return 1;
		p += n;
	}
	return 0;
}

long tcp_env_carry(char *const envp[], const struct env_carry *c, char **out, size_t cap, char *buf,
		   size_t bufcap)
{
	static const char preload[] = "LD_PRELOAD=";
	size_t n = 0;
	int have_preload = 0;
	for (size_t i = 0; envp && envp[i]; i++) {
		if (n + 1 >= cap)
			return -1;
		char *e = envp[i];
		if (same_name(e, preload)) {
			have_preload = 1;
			const char *value = e + sizeof(preload) - 1;
			if (c->lib && !tcp_preload_has(value, c->lib)) {
				/* "LD_PRELOAD=" lib ' ' value */
				size_t need = sizeof(preload) - 1 + len(c->lib) + 1 + len(value) + 1;
				if (need > bufcap)
					return -1;
				char *w = buf;
				for (const char *s = preload; *s; s++)
					*w++ = *s;
				for (const char *s = c->lib; *s; s++)
					*w++ = *s;
				if (*value)
					*w++ = ' ';
				for (const char *s = value; *s; s++)
					*w++ = *s;
				*w = 0;
				e = buf;
			}
		}
		out[n++] = e;
	}
	if (!have_preload && c->lib) {
		size_t need = sizeof(preload) - 1 + len(c->lib) + 1;
		if (need > bufcap || n + 1 >= cap)
			return -1;
		char *w = buf;
		for (const char *s = preload; *s; s++)
			*w++ = *s;
		for (const char *s = c->lib; *s; s++)
			*w++ = *s;
		*w = 0;
		out[n++] = buf;
	}
	for (size_t v = 0; v < c->nvars; v++) {
		int set = 0;
		for (size_t i = 0; envp && envp[i] && !set; i++)
			set = same_name(envp[i], c->vars[v]);
		if (set)
			continue;
		if (n + 1 >= cap)
			return -1;
		out[n++] = (char *)c->vars[v];
	}
	out[n] = 0;
	return (long)n;
}

void tcp_env_carry_vars(struct env_carry *c, char *const envp[], char *mem, size_t cap)
{
	size_t used = 0;
	c->nvars = 0;
	for (size_t e = 0; envp && envp[e] && c->nvars < TCP_CARRY_MAX_VARS; e++) {
		const char *v = envp[e];
		if (v[0] != 'T' || v[1] != 'C' || v[2] != 'P' || v[3] != '_')
			continue;
		size_t n = len(v);
		if (name_len(v) == n || used + n + 1 > cap)
			continue; /* no '=', or no room */
		for (size_t i = 0; i <= n; i++)
			mem[used + i] = v[i];
		c->vars[c->nvars++] = mem + used;
		used += n + 1;
	}
}
