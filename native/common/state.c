/* state.c: DIR/pids.json and DIR/exit.json, each written atomically. */
#include "common.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

void state_write_pids(const char *dir, pid_t monitor, pid_t child, int monitor_required)
{
	char buf[512], now[64];

	if (!dir)
		return;
	now_rfc3339(now, sizeof now);
	snprintf(buf, sizeof buf,
		 "{\"monitor\":%d,\"child\":%d,\"childStart\":%llu,\"startedAt\":\"%s\"%s}\n", (int)monitor,
		 (int)child, proc_starttime(child), now, monitor_required ? ",\"monitorRequired\":true" : "");
	write_file_atomic(dir, "pids.json", buf);
	/* exit.json must be writable when the disk has filled up meanwhile. */
	reserve_file_atomic(dir, "exit.json", 4096);
}

void state_write_exit(const char *dir, int code, int signo, int oom_killed, const char *error)
{
	char buf[4096], now[64], sig[64] = "null", err[2048];
	size_t n;

	if (!dir)
		return;
	now_rfc3339(now, sizeof now);
	if (signo > 0) {
		const char *abbrev = sigabbrev_np(signo);
		if (abbrev)
			snprintf(sig, sizeof sig, "\"SIG%s\"", abbrev);
		else
			snprintf(sig, sizeof sig, "\"SIG%d\"", signo);
	}
	n = (size_t)snprintf(buf, sizeof buf, "{\"exitCode\":%d,\"signal\":%s,\"finishedAt\":\"%s\"", code,
			     sig, now);
	if (oom_killed)
		n += (size_t)snprintf(buf + n, sizeof buf - n, ",\"oomKilled\":true");
	if (error) {
		json_escape(err, sizeof err, error);
		n += (size_t)snprintf(buf + n, sizeof buf - n, ",\"error\":\"%s\"", err);
	}
	snprintf(buf + n, sizeof buf - n, "}\n");
	write_file_atomic(dir, "exit.json", buf);
}
