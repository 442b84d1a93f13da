/* A small streaming JSON writer (pretty-printed, two-space indent).
 *
 * Strings from an image are arbitrary bytes (paths may hold quotes,
 * backslashes, control characters, invalid UTF-8), while a JSON document
 * must be valid UTF-8: valid sequences are copied, every other byte is
 * written as \u00XX (the code point of the same value, as Latin-1 would). */
#include "inspect.h"

#include <inttypes.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF (RFC 3629). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t min, cp;
	if (c < 0x80)
		return 1;
	else if ((c & 0xe0) == 0xc0)
		len = 2, min = 0x80, cp = c & 0x1f;
	else if ((c & 0xf0) == 0xe0)
		len = 3, min = 0x800, cp = c & 0x0f;
	else if ((c & 0xf8) == 0xf0)
		len = 4, min = 0x10000, cp = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void json_escape(FILE *out, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	fputc('"', out);
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t len = utf8_len(s + i, n - i);
		if (c == '"' || c == '\\') {
			fputc('\\', out);
			fputc(c, out);
		} else if (c == '\n') {
			fputs("\\n", out);
		} else if (c == '\t') {
			fputs("\\t", out);
		} else if (c == '\r') {
			fputs("\\r", out);
		} else if (c < 0x20 || c == 0x7f || len == 0) {
			fprintf(out, "\\u%04x", c);
		} else {
			fwrite(s + i, 1, len, out);
			i += len;
			continue;
		}
		i++;
	}
	fputc('"', out);
}

void jw_init(struct jw *w, FILE *out)
{
	w->out = out;
	w->depth = 0;
	w->first = 1;
	w->after_key = 0;
}

static void indent(struct jw *w)
{
	fputc('\n', w->out);
	for (int i = 0; i < w->depth; i++)
		fputs("  ", w->out);
}

/* Before any value: the comma and newline, unless it follows its key. */
static void sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (!w->first)
		fputc(',', w->out);
	if (w->depth)
		indent(w);
	w->first = 0;
}

void jw_begin(struct jw *w, char open)
{
	sep(w);
	fputc(open, w->out);
	w->depth++;
	w->first = 1;
}

void jw_end(struct jw *w, char close)
{
	w->depth--;
	if (!w->first)
		indent(w);
	fputc(close, w->out);
	w->first = 0;
	if (w->depth == 0)
		fputc('\n', w->out);
}

void jw_key(struct jw *w, const char *key)
{
	sep(w);
	json_escape(w->out, key, strlen(key));
	fputs(": ", w->out);
	w->after_key = 1;
}

void jw_strn(struct jw *w, const char *s, size_t len)
{
	sep(w);
	json_escape(w->out, s, len);
}

void jw_str(struct jw *w, const char *s)
{
	if (!s) {
		jw_null(w);
		return;
	}
	jw_strn(w, s, strlen(s));
}

void jw_null(struct jw *w)
{
	sep(w);
	fputs("null", w->out);
}

void jw_bool(struct jw *w, int v)
{
	sep(w);
	fputs(v ? "true" : "false", w->out);
}

void jw_uint(struct jw *w, uint64_t v)
{
	sep(w);
	fprintf(w->out, "%" PRIu64, v);
}

void jw_int(struct jw *w, int64_t v)
{
	sep(w);
	fprintf(w->out, "%" PRId64, v);
}

void jw_hex(struct jw *w, uint64_t v)
{
	sep(w);
	fprintf(w->out, "\"0x%" PRIx64 "\"", v);
}
