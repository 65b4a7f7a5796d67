/* bootfail.c: the last 8 KiB of the console, and the line of it that best says why a kernel
 * did not come up (bootFailureReason in vm-monitor.ts: a panic, else a fatal-looking line,
 * else the last line). */
#include "vmmon.h"

#include <stdio.h>
#include <string.h>

#define TAIL 8192

static char tail[TAIL];
static size_t tail_len;

void console_tail_add(const char *buf, size_t n)
{
	if (n >= TAIL) {
		memcpy(tail, buf + n - TAIL, TAIL);
		tail_len = TAIL;
		return;
	}
	if (tail_len + n > TAIL) {
		size_t drop = tail_len + n - TAIL;
		memmove(tail, tail + drop, tail_len - drop);
		tail_len -= drop;
	}
	memcpy(tail + tail_len, buf, n);
	tail_len += n;
}

static const char *const fatal[] = {"berth-init: fatal:", "Too few physical memory", "Out of memory",
				    "not enough memory", "failed"};

/* What a panic that only says where it ended ("Attempted to kill the idle task!") followed: the
 * first oops line and the first RIP after it name the fault and the function. */
static const char *const oops[] = {"BUG:", "general protection fault",
				   "Oops:", "invalid opcode:", "unable to handle"};

/* The trimmed, non-empty lines of the tail, one at a time: *at is the cursor. */
static int next_line(size_t *at, const char **line, size_t *len)
{
	while (*at < tail_len) {
		const char *s = tail + *at, *nl = memchr(s, '\n', tail_len - *at);
		size_t n = nl ? (size_t)(nl - s) : tail_len - *at;
		*at += n + (nl ? 1 : 0);
		while (n && (*s == ' ' || *s == '\t' || *s == '\r')) {
			s++;
			n--;
		}
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
			n--;
		if (n) {
			*line = s;
			*len = n;
			return 1;
		}
	}
	return 0;
}

static int contains(const char *s, size_t n, const char *needle, int nocase)
{
	char buf[TAIL + 1];

	memcpy(buf, s, n);
	buf[n] = '\0';
	return (nocase ? strcasestr(buf, needle) : strstr(buf, needle)) != NULL;
}

void boot_failure_reason(char *out, size_t outlen)
{
	const char *line, *last = NULL, *hit = NULL, *fault = NULL, *rip = NULL;
	size_t len, last_len = 0, hit_len = 0, fault_len = 0, rip_len = 0, at = 0;
	static const char panic[] = "Kernel panic - not syncing:";

	while (next_line(&at, &line, &len)) {
		if (contains(line, len, "Kernel panic", 0)) {
			char buf[TAIL + 1], *p, *rest;
			memcpy(buf, line, len);
			buf[len] = '\0';
			p = strstr(buf, panic);
			if (!p) {
				snprintf(out, outlen, "%s", buf);
				return;
			}
			rest = p + sizeof panic - 1;
			while (*rest == ' ' || *rest == '\t')
				rest++;
			if (fault && rip)
				snprintf(out, outlen, "kernel panic: %s (after %.*s; %.*s)", rest,
					 (int)fault_len, fault, (int)rip_len, rip);
			else if (fault)
				snprintf(out, outlen, "kernel panic: %s (after %.*s)", rest, (int)fault_len,
					 fault);
			else
				snprintf(out, outlen, "kernel panic: %s", rest);
			return;
		}
		if (!fault) {
			for (size_t i = 0; i < sizeof oops / sizeof oops[0]; i++)
				if (contains(line, len, oops[i], 0)) {
					fault = line;
					fault_len = len;
					break;
				}
		} else if (!rip && contains(line, len, "RIP:", 0)) {
			rip = line;
			rip_len = len;
		}
		if (!hit)
			for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
				if (contains(line, len, fatal[i], 1)) {
					hit = line;
					hit_len = len;
					break;
				}
		last = line;
		last_len = len;
	}
	if (hit)
		snprintf(out, outlen, "%.*s", (int)hit_len, hit);
	else if (last)
		snprintf(out, outlen, "%.*s", (int)last_len, last);
	else
		snprintf(out, outlen, "no console output");
}
