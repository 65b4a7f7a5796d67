/* berth-shim: shared declarations. One concept per .c file; see README.md. */
#ifndef BERTH_SHIM_H
#define BERTH_SHIM_H

#include "../common/common.h"

#include <stddef.h>
#include <sys/types.h>

#define MAX_LIST 256 /* upper bound for every repeatable option */
#define MAX_GROUPS 64

/* ---- options.c ---------------------------------------------------------- */

struct idmap {
	unsigned long inside, outside, count;
};

struct bind {
	const char *src, *dst;
	int ro;
};

enum proc_mode { PROC_NONE, PROC_BIND, PROC_NEW };
enum sys_mode { SYS_NONE, SYS_BIND_RO, SYS_NEW_RO };
enum seccomp_mode { SECCOMP_NONE, SECCOMP_UNCONFINED, SECCOMP_DEFAULT };

struct user_spec {
	uid_t uid;
	gid_t gid;
	gid_t groups[MAX_GROUPS];
	int ngroups; /* -1: none given */
};

/* Namespaces the child creates; child.c turns these into unshare() flags. */
struct ns_flags {
	int user, mnt, uts, pid, net, ipc, cgroup;
};

struct opts {
	/* run */
	const char *state_dir, *log_path;
	unsigned long long log_max_size; /* --log-max-size, 0: no cap */
	unsigned log_max_files; /* --log-max-files, default 1 */
	int detach, tty, interactive;
	int notify_fd; /* --notify-fd N: detach keys tell the CLI here; -1 = no detach keys */
	const char *stdin_fifo; /* --stdin-fifo PATH: a detached command's stdin (stdin_fifo.c) */
	const char *winsize_file; /* --winsize-file PATH: "ROWS COLS", reread on SIGWINCH (pty.c) */
	int net_sync_fd; /* --net-sync-fd N: netns handshake with the caller (netsync.c); -1 = none */
	char *exit_hook[MAX_LIST + 1]; /* --exit-hook ARG...: run when CMD ended and no caller waits */
	int n_exit_hook;
	/* --hold-port PROTO:ADDR:PORT: a bridge's -p, bound for the monitor's life */
	char *hold_port[MAX_LIST];
	int n_hold_port;
	struct ns_flags ns;
	struct idmap uid_map[MAX_LIST], gid_map[MAX_LIST];
	int n_uid_map, n_gid_map;
	const char *lower[MAX_LIST];
	int n_lower;
	const char *upper, *work, *rootfs;
	int userxattr;
	const char *hostname;
	enum proc_mode proc;
	enum sys_mode sys;
	struct bind binds[MAX_LIST];
	int n_binds;
	char *env[MAX_LIST + 1];
	int n_env;
	const char *cwd;
	struct user_spec user;
	int has_caps; /* --caps given */
	unsigned long long caps; /* bit n = capability n */
	enum seccomp_mode seccomp;
	const char *cgroups[MAX_LIST]; /* --cgroup DIR */
	int n_cgroups;
	char **argv; /* CMD ARG... (NULL-terminated) */
	/* exec */
	pid_t pid;
	int cwd_must_exist; /* exec: --cwd is not created (Docker's exec fails with 126 instead) */
	/* rmtree */
	const char *path;
};

void opts_parse_run(struct opts *o, int argc, char **argv);
void opts_parse_exec(struct opts *o, int argc, char **argv);
void opts_parse_rmtree(struct opts *o, int argc, char **argv);
void opts_parse_unshare(struct opts *o, int argc, char **argv);

/* ---- util.c ------------------------------------------------------------- */

/* die(), write_all(), atomic state files: common/common.h */
void mkdir_p(const char *path, mode_t mode);
void ensure_std_fds(void);
/* proctitle.c: argv area capture (main) and overwrite (the init, after it
 * forked the command and no longer needs its options). */
void proc_title_init(int argc, char **argv);
void proc_title_set(const char *title);
int open_devnull(int flags);

/* ---- sync.c: child -> monitor setup/exec status -------------------------- */

/* The child reports "<code> <message>" on a CLOEXEC pipe; EOF = exec'd. */
void sync_child_init(int report_fd);
void sync_child_fail(int code, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
/* fork() with the status pipe and the monitor's signal handling set up: the
 * child (0 returned) reports through sync_child_fail() and has its signal
 * mask restored; the parent gets the pipe's read end and the signalfd. */
pid_t fork_synced(int *sync_read, int *sigfd);
/* Returns 0 when the child exec'd, else the code and the message in msg. */
int sync_parent_wait(int fd, char *msg, size_t msglen);
/* PID 1 after forking CMD: let CMD's exec alone close the pipe. */
void sync_child_close(void);

/* ---- userns.c ----------------------------------------------------------- */

struct userns_sync {
	int req[2]; /* child -> parent: "unshared" */
	int ack[2]; /* parent -> child: "maps written" */
};
void userns_default_maps(struct opts *o);
void userns_sync_init(struct userns_sync *s);
/* The sync point after fork: with newuser the child unshares CLONE_NEWUSER
 * first; it waits until the monitor has joined the cgroups and written the
 * maps, then (newuser) becomes 0. */
void userns_child_enter(struct userns_sync *s, int newuser);
/* Returns 0 once the child reached the sync point, -1 when it went away first. */
int userns_parent_wait(struct userns_sync *s);
void userns_parent_map(struct userns_sync *s, pid_t pid, const struct opts *o); /* + ack */
/* Runs body(o) in a forked child that is root of a new user namespace mapped
 * per o's maps; returns the child's exit code (rmtree, unshare). */
int run_in_userns(const struct opts *o, void (*body)(const struct opts *o));

/* ---- binds.c ------------------------------------------------------------ */

/* Resolve PATH beneath rootfd (symlinks cannot escape), creating the last
 * component (S_IFDIR or S_IFREG; 0 = must exist) and missing parents. */
int resolve_in_root(int rootfd, const char *path, mode_t create);
int open_in_root(int rootfd, const char *path); /* -1/errno, never creates */
void bind_tree(const char *src, int target_fd, int recursive, int ro);
/* Same, the source given as dirfd + path (path "" = dirfd itself); what
 * names it in errors. */
void bind_at(int dirfd, const char *src, const char *what, int target_fd, int recursive, int ro);
void mount_on_fd(int target_fd, const char *what, const char *fstype, unsigned long flags, const char *data);
void binds_mount_system(const struct opts *o, int rootfd); /* /proc, /sys */
void binds_mount_user(const struct opts *o, int rootfd); /* --bind */

/* ---- procfs.c: --proc new ------------------------------------------------ */

void procfs_mount_new(int rootfd); /* fresh procfs + Podman's masks */

/* ---- netns.c / cgroup.c / caps.c / seccomp.c ----------------------------- */

void netns_lo_up(void);
void netns_ping_groups(void);
/* netsync.c: --net-sync-fd. In the child, once its network namespace exists:
 * send "<host pid>\n", wait for "1" (the caller configured the namespace). */
void netsync_child(int fd);
void cgroup_join(const struct opts *o, pid_t pid); /* pid -> every DIR/cgroup.procs */
/* 1 when a --cgroup DIR counts an OOM kill: v2 memory.events or v1 memory.oom_control `oom_kill N`. */
int cgroup_oom_killed(const struct opts *o);
unsigned long long caps_parse(const char *list);
void caps_bound(const struct opts *o); /* while privileged: bounding + inheritable */
void caps_apply(const struct opts *o); /* after the user switch: capset, no_new_privs */
void seccomp_install(const struct opts *o);

/* ---- init.c: PID 1 of a --pid-ns environment ------------------------------ */

/* In the child after unshare(CLONE_NEWPID): fork; the parent sends the new
 * process's host pid on pid_fd and exits; the new process (PID 1) returns. */
void init_fork(int pid_fd);
/* Read that pid in the monitor (-1 when the child failed before forking). */
pid_t init_pid_read(int fd);
/* In PID 1 once the root is ready: fork CMD's process, which returns; PID 1
 * stays here reaping, forwarding signals, and exits with CMD's status. When a
 * signal killed CMD, PID 1 first writes its number on exit_fd (it cannot die
 * of it itself). */
void init_spawn(int exit_fd);
/* In the monitor once PID 1 has exited with STATUS: the signal that killed CMD
 * (as PID 1 wrote it on fd's other end), or 0. */
int init_exit_signal(int fd, int status);

/* ---- rootfs.c / devfs.c ------------------------------------------------- */

void rootfs_mount(const struct opts *o);
void rootfs_pivot(const char *rootfs);
void devfs_setup(int rootfd, int rootless);

/* ---- launch.c: the last steps shared by run and exec ---------------------- */

struct child_io {
	int in, out, err; /* dup2'ed to 0, 1, 2 */
	int ctty; /* in is a pty slave: make it the controlling tty */
	int console; /* run --tty: socket to pass the pty master back on, else -1 */
};
void child_stdio(const struct child_io *io);
/* cwd, caps bounding, user, caps, no_new_privs, seccomp, execvpe */
void launch(const struct opts *o) __attribute__((noreturn));

/* ---- child.c: the run child ---------------------------------------------- */

/* pid_fd: write end for init_fork() (--pid-ns), else -1 */
void child_run(const struct opts *o, const struct child_io *io, struct userns_sync *us, int pid_fd,
	       int exit_fd) __attribute__((noreturn));

/* ---- pty.c -------------------------------------------------------------- */

void pty_open(int *master, int *slave);
/* run --tty: the child opens the pty from the environment's own devpts (so
 * `tty` names a device that exists inside), sends the master to the monitor
 * over a unix socket and keeps the slave. */
int pty_open_send(int sock);
int pty_recv_master(int sock); /* -1 when the child died before sending */
void pty_copy_winsize(int from, int to);
void pty_set_winsize(int fd, unsigned short rows, unsigned short cols);
/* --winsize-file: whoever resizes a terminal that has no client terminal (a detached command's,
 * an API server's exec) writes "ROWS COLS" there and sends the monitor SIGWINCH. */
int pty_winsize_open(const char *path); /* -1 if PATH is NULL */
int pty_winsize_apply(int fd, int master); /* 0 if the file held a size and it was set */
/* The size for MASTER when there is no terminal on fd 0 to copy: the file's, else 24x80. */
void pty_size_detached(int winsize_fd, int master);
void tty_raw_enter(int fd); /* restored at exit() */
void tty_raw_leave(void); /* restore now (detach) */

/* ---- detach.c: Ctrl-P Ctrl-Q ends the attachment, not the command ------- */

struct monitor;
/* Copies input to out minus the detach keys; sets *detach when they were
 * typed and returns how much of in was consumed. */
size_t detach_scan(const char *in, size_t n, char *out, size_t *outn, int *detach);
void detach_now(struct monitor *m);

/* crilog.c, logrotate.c, state.c: common/common.h */

/* ---- monitor.c ---------------------------------------------------------- */

struct monitor {
	pid_t child;
	int out_fd, err_fd; /* pipes from the child, -1 if none */
	int master; /* pty master, -1 if none */
	int relay_stdin; /* copy our stdin to the master */
	int to_terminal; /* copy output to our fd 1/2 */
	struct crilog *log; /* CRI log, NULL if none */
	int notify_fd; /* --notify-fd: told "detached" on the detach keys, -1 if none */
	int sigfd;
	int in_fifo; /* --stdin-fifo's read end, -1 if none */
	int in_pipe; /* the command's stdin without a TTY (fed from in_fifo), -1 if none */
	const char *fifo_path;
	int winsize_fd; /* --winsize-file, opened on the host side; -1 if none */
};
int monitor_signals_block(void); /* returns a signalfd; call before fork */
void monitor_signals_restore(void); /* in the child, before exec */
int monitor_loop(struct monitor *m); /* returns the wait status */

/* ---- stdin_fifo.c: --stdin-fifo ------------------------------------------ */

int stdin_fifo_create(const char *path); /* makes the FIFO; its read end */
void stdin_fifo_relay(struct monitor *m); /* in_fifo is readable */
int exit_code_of(int status);

/* ---- subcommands -------------------------------------------------------- */

int cmd_run(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_rmtree(int argc, char **argv);
int cmd_unshare(int argc, char **argv);
int cmd_reap_wait(int argc, char **argv);

#endif
