#include "proc_stat.h"

int proc_stat_parse(const char *buf, size_t len, struct proc_stat *out)
{
	size_t open = len, close = len;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '(' && open == len)
			open = i;
		if (buf[i] == ')')
			close = i;
	}
	if (open == len || close == len || close < open || close + 2 >= len || buf[close + 1] != ' ')
		return -1;
	*out = (struct proc_stat){ 0 };
	size_t n = close - open - 1;
	for (size_t i = 0; i < n && i < sizeof(out->comm) - 1; i++)
		out->comm[i] = buf[open + 1 + i];
	out->state = buf[close + 2];
	/* Fields after the state, numbered as in proc(5): 4 ppid, 5 pgrp,
	 * 6 session, 22 starttime, 52 exit_code. */
	int field = 3;
	size_t i = close + 3;
	while (i < len) {
		while (i < len && buf[i] == ' ')
			i++;
		if (i >= len || buf[i] == '\n')
			break;
		field++;
		int neg = buf[i] == '-';
		if (neg)
			i++;
		uint64_t v = 0;
		int digits = 0;
		for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++, digits++)
			v = v * 10 + (uint64_t)(buf[i] - '0');
		if (!digits || (i < len && buf[i] != ' ' && buf[i] != '\n'))
			return -1;
		long s = neg ? -(long)v : (long)v;
		switch (field) {
		case 4: out->ppid = (int)s; break;
		case 5: out->pgrp = (int)s; break;
		case 6: out->session = (int)s; break;
		case 22: out->start_time = v; break;
		case 52: out->exit_code = (int)s, out->has_exit_code = 1; break;
		}
	}
	return field >= 22 ? 0 : -1;
}

int proc_children_parse(const char *buf, size_t len, int *pids, int cap)
{
	int count = 0;
	for (size_t i = 0; i < len;) {
		if (buf[i] == ' ' || buf[i] == '\n') {
			i++;
			continue;
		}
		long v = 0;
		int digits = 0;
		for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++, digits++)
			v = v * 10 + (buf[i] - '0');
		if (!digits || v <= 0 || v > 0x7fffffff || (i < len && buf[i] != ' ' && buf[i] != '\n'))
			return -1;
		if (count < cap)
			pids[count] = (int)v;
		count++;
	}
	return count;
}
