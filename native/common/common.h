/* What the host helpers (berth-shim, berth-vmmon) share: errors, files, the CRI log and the
 * state files. One concept per .c file in native/common/. */
#ifndef BERTH_COMMON_H
#define BERTH_COMMON_H

#include <stddef.h>
#include <sys/types.h>

/* ---- util.c ------------------------------------------------------------- */

/* die(): one line "berth: <msg>" on stderr, exit 125. die_errno() appends
 * ": <strerror(errno)>" and, when fix != NULL, " (<fix>)". */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void die_errno(const char *fix, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
/* Called once with the message before die() prints and exits; a hook may
 * _exit() itself (the child does). */
void set_die_hook(void (*hook)(const char *msg));

int write_all(int fd, const void *buf, size_t len); /* 0 or -1/errno */
/* A bridge network's published host port, bound for the monitor's life (holdports.c). */
int hold_port(const char *spec);
void now_rfc3339(char *buf, size_t len); /* 2026-11-26T21:49:12.123456789Z */
unsigned long long proc_starttime(pid_t pid);
void write_file_atomic(const char *dir, const char *name, const char *data);
/* 1 (the default): write_file_atomic fsyncs the temp file before its rename. berth-vmmon sets 0:
 * its monitor.pid, pids.json and exit.json are lifecycle marks that readers check against the
 * processes (as the Node monitor and core/atomic-write.ts's non-durable writes do; ADR 0068). */
extern int state_files_durable;
/* Allocate DIR/.NAME.tmp (bytes) now, so that a later write_file_atomic of
 * NAME reuses it in place: it then succeeds on a full filesystem. */
void reserve_file_atomic(const char *dir, const char *name, size_t bytes);
void json_escape(char *out, size_t outlen, const char *in);

/* ---- crilog.c + logrotate.c: a CRI log file, size-capped and rotated ------ */

struct crilog {
	int fd;
	const char *path;
	unsigned long long max_bytes; /* 0: no cap */
	unsigned max_files; /* FILE, FILE.1 ... FILE.(N-1) */
	unsigned long long size; /* bytes in the current file */
};

/* Opens (appends to) path; bytes 0 = no cap, files 0 counts as 1. */
void crilog_open(struct crilog *l, const char *path, unsigned long long max_bytes, unsigned max_files);
void crilog_write(struct crilog *l, const char *stream, const char *buf, size_t len);
void crilog_close(struct crilog *l);
/* Before writing a record of len bytes: rotate first when it would push the
 * file past the cap (l->fd keeps its number), then count it. */
void logrotate_reserve(struct crilog *l, size_t len);
/* A reserved record that was not written (a full filesystem). */
void logrotate_unreserve(struct crilog *l, size_t len);

/* ---- state.c ------------------------------------------------------------ */

/* monitor_required: the environment cannot run on without its monitor ("monitorRequired":true). */
void state_write_pids(const char *dir, pid_t monitor, pid_t child, int monitor_required);
/* oom_killed: the kernel's OOM killer killed a process in the --cgroup dirs ("oomKilled":true). */
void state_write_exit(const char *dir, int code, int signo, int oom_killed, const char *error);

#endif
