/*
 * Sessions: the main command and every exec, each a process with its own stdio (pipes, or a
 * pty), identified by the host's session id. Output becomes STDOUT/STDERR frames, the exit
 * status an EXIT frame once the output already written has been passed on.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "init.h"

extern char **environ;

struct session {
	int used;
	uint32_t id;
	pid_t pid;
	int out, err, in; /* -1 when closed; with a tty, out is the pty master and in == out */
	int tty;
	int in_eof;
	struct stdin_queue q; /* stdin not yet written */
	int paused; /* PAUSE: its output is not read until RESUME (the host's reader is behind) */
	unsigned long long oom_kills_at_start; /* the guest's count when the process started */
	/* The bulk channel: stdin bytes taken and written so far, where each bulk file ends in
	 * that count (BULK_DONE once written), and output files the host has not taken yet. */
	unsigned long long in_taken, in_written;
	struct {
		unsigned long long end;
		uint32_t seq;
	} marks[8];
	int nmarks;
	int out_files;
	/* Monotonic ms before which a full stdin pipe is not written again (0: none; see flush_stdin),
	 * for a stdin pipe of 1 MiB (in_deferred). */
	long long in_retry_at;
	int in_deferred;
	int in_defer_ms; /* the wait before such a write (stdin_pace.c) */
	/* A session of the environment a clone was saved from (session_orphan_all): its process runs
	 * on, its output is read and dropped, and its exit is not reported. */
	int orphan;
};

/* Output chunks read from one session per turn of the main loop (unless its process exited). */
#define OUT_TURNS 4

static struct session sessions[MAX_SESSIONS];

/* Every "arg"/"env" pair takes at least 5 bytes of a START payload, so these bound what fits in
 * one (the host refuses a larger one by name, guest-protocol.ts encodeStart). */
#define MAX_ARGS ((int)(MAX_PAYLOAD / 5 + 1))
struct start_req {
	int argc;
	int envc;
	const char *cwd;
	uid_t uid;
	gid_t gid;
	gid_t groups[64];
	int ngroups;
	int tty;
	int stdin_open;
	unsigned short rows, cols;
	char *mounts[16];
	int nmounts;
	int mkcwd; /* the main command: create cwd when missing; an exec's must exist (Docker) */
	/* Last, and never cleared as a whole: 3 MiB that a START touches only as far as it fills them
	 * (writing every page costs a uml guest a page fault each, ~0.5 s per exec, and a forked
	 * child's copy of them more). */
	char *argv[MAX_ARGS];
	char *envp[MAX_ARGS];
};

static struct session *find(uint32_t id)
{
	for (int i = 0; i < MAX_SESSIONS; i++)
		if (sessions[i].used && sessions[i].id == id)
			return &sessions[i];
	return NULL;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

/* EXIT_OOM_KILLED: the guest's OOM killer killed a process while the session ran. */
#define EXIT_OOM_KILLED 0x1u

/* EXIT: int32 code, uint16 signal, uint16 flags, then an optional message (berth's own error or exec failure). */
static void send_exit_flags(uint32_t id, int code, int sig, uint16_t flags, const char *msg)
{
	uint8_t buf[8 + 512];
	size_t m = msg ? strlen(msg) : 0;
	if (m > 512)
		m = 512;
	put32(buf, (uint32_t)code);
	put32(buf + 4, ((uint32_t)sig & 0xffff) | ((uint32_t)flags << 16));
	if (m)
		memcpy(buf + 8, msg, m);
	ctl_send(F_EXIT, id, buf, (uint32_t)(8 + m));
}

static void send_exit(uint32_t id, int code, int sig, const char *msg)
{
	send_exit_flags(id, code, sig, 0, msg);
}

/* The START payload: key NUL value NUL pairs (docs/guest-protocol.md). 0 or an error text. */
static const char *parse_start(struct start_req *r, char *p, uint32_t len)
{
	memset(r, 0, offsetof(struct start_req, argv));
	r->cwd = "/";
	r->rows = 24;
	r->cols = 80;
	char *end = p + len;
	while (p < end) {
		char *k = p;
		char *kz = memchr(k, 0, (size_t)(end - k));
		if (!kz)
			return "malformed START: key not terminated";
		char *v = kz + 1;
		char *vz = v < end ? memchr(v, 0, (size_t)(end - v)) : NULL;
		if (!vz)
			return "malformed START: value not terminated";
		p = vz + 1;
		if (!strcmp(k, "arg")) {
			if (r->argc >= MAX_ARGS - 1)
				return "too many arguments";
			r->argv[r->argc++] = v;
		} else if (!strcmp(k, "env")) {
			if (r->envc >= MAX_ARGS - 1)
				return "too many environment variables";
			r->envp[r->envc++] = v;
		} else if (!strcmp(k, "cwd"))
			r->cwd = v;
		else if (!strcmp(k, "mkcwd"))
			r->mkcwd = !strcmp(v, "1");
		else if (!strcmp(k, "uid"))
			r->uid = (uid_t)strtoul(v, NULL, 10);
		else if (!strcmp(k, "gid"))
			r->gid = (gid_t)strtoul(v, NULL, 10);
		else if (!strcmp(k, "groups")) {
			for (char *g = v; *g && r->ngroups < 64;) {
				r->groups[r->ngroups++] = (gid_t)strtoul(g, &g, 10);
				if (*g == ',')
					g++;
				else
					break;
			}
		} else if (!strcmp(k, "tty"))
			r->tty = !strcmp(v, "1");
		else if (!strcmp(k, "stdin"))
			r->stdin_open = !strcmp(v, "1");
		else if (!strcmp(k, "mount")) {
			if (r->nmounts >= 16)
				return "too many mounts";
			r->mounts[r->nmounts++] = v;
		} else if (!strcmp(k, "rows"))
			r->rows = (unsigned short)atoi(v);
		else if (!strcmp(k, "cols"))
			r->cols = (unsigned short)atoi(v);
		/* unknown keys are ignored: newer hosts may send more */
	}
	if (r->argc == 0)
		return "START without a command";
	r->argv[r->argc] = NULL;
	r->envp[r->envc] = NULL;
	return NULL;
}

/* Mount a filesystem; hostfs takes the host path as its data, a virtio tag is the source. */
static int mount_fs(const char *type, const char *source, const char *target, unsigned long flags)
{
	int hostfs = !strcmp(type, "hostfs");
	return mount(hostfs ? "none" : source, target, type, flags, hostfs ? source : NULL);
}

/* A single file: hostfs (and the virtio filesystems) share directories only, so the file's
 * directory is mounted at a private staging point under /dev, the one file is bound over the
 * target (made an empty file if missing), and the staging mount is detached again: only the
 * file stays reachable. 0 or an error text. */
static const char *mount_file(const char *type, char *source, const char *target, unsigned long flags,
			      char *err, size_t errlen)
{
	char *slash = strrchr(source, '/');
	if (!slash || !slash[1])
		return "a file mount needs DIRECTORY/NAME as its source";
	*slash = 0;
	const char *dir = slash == source ? "/" : source, *name = slash + 1;
	char stage[] = "/dev/.berth-bind-XXXXXX";
	if (!mkdtemp(stage)) {
		snprintf(err, errlen, "create a staging directory for %s: %s", target, strerror(errno));
		return err;
	}
	const char *bad = NULL;
	char file[PATH_MAX];
	snprintf(file, sizeof file, "%s/%s", stage, name);
	int fd = -1;
	if (mount_fs(type, dir, stage, flags) < 0) {
		snprintf(err, errlen, "mount %s %s on %s: %s", type, dir, stage, strerror(errno));
		bad = err;
	} else {
		struct stat st;
		int found = stat(file, &st) == 0;
		if (!found || S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "the shared file %s/%s: %s", dir, name,
				 found ? "is a directory" : strerror(errno));
			bad = err;
		} else if ((fd = open(target, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0 &&
			   errno != EISDIR && errno != ETXTBSY) {
			/* An existing target (even a read-only or running one) is bound over as it is. */
			snprintf(err, errlen, "create mount point %s: %s", target, strerror(errno));
			bad = err;
		} else if (mount(file, target, NULL, MS_BIND, NULL) < 0 ||
			   mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | flags, NULL) < 0) {
			snprintf(err, errlen, "bind %s/%s on %s: %s", dir, name, target, strerror(errno));
			bad = err;
		}
		umount2(stage, MNT_DETACH);
	}
	if (fd >= 0)
		close(fd);
	rmdir(stage);
	return bad;
}

/* A `mount` value: "ro|rw[,file]:FSTYPE:TARGET:SOURCE" (SOURCE last: it may hold ':'). 0 or an error text. */
static const char *do_mount(char *spec, char *err, size_t errlen)
{
	char *mode = spec, *type = strchr(mode, ':');
	char *target = type ? strchr(type + 1, ':') : NULL;
	char *source = target ? strchr(target + 1, ':') : NULL;
	if (!source)
		return "malformed mount";
	*type++ = 0;
	*target++ = 0;
	*source++ = 0;
	int file = 0;
	char *opt = strchr(mode, ',');
	if (opt) {
		*opt++ = 0;
		if (strcmp(opt, "file"))
			return "malformed mount mode";
		file = 1;
	}
	unsigned long flags = MS_NOSUID | MS_NODEV | (!strcmp(mode, "ro") ? MS_RDONLY : 0);
	if (target[0] != '/')
		return "mount target must be absolute";
	/* A file's mount point is a file: its directory is made here, the file by mount_file. */
	char parent[PATH_MAX];
	snprintf(parent, sizeof parent, "%s", target);
	char *last = strrchr(parent, '/');
	if (file && last)
		*(last == parent ? last + 1 : last) = 0;
	if (mkdir_p(file ? parent : target, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "create mount point %s: %s", target, strerror(errno));
		return err;
	}
	if (file)
		return mount_file(type, source, target, flags, err, errlen);
	if (mount_fs(type, source, target, flags) < 0) {
		snprintf(err, errlen, "mount %s %s on %s: %s", type, source, target, strerror(errno));
		return err;
	}
	return NULL;
}

/* Where the child failed, if it did, before its exec. */
enum { STAGE_NONE, STAGE_EXEC, STAGE_CWD };

/* What the child of session_start needs, and where it says how it failed: it runs in the
 * init's own memory (CLONE_VM) while the init waits (CLONE_VFORK), so it writes this directly. */
struct spawn {
	struct start_req *r;
	int in, out, err;
	const char *pts;
	int stage, error;
};

/* The child's stack: glibc's execvp may copy argv onto it (a script without #!), so it holds
 * MAX_ARGS pointers and room for the rest. Pages never touched are never allocated. */
static char child_stack[(MAX_ARGS + 2) * sizeof(char *) + 64 * 1024] __attribute__((aligned(16)));

/* The child, in the init's memory until its exec: only system calls and writes to its own stack,
 * to `environ` (the init puts it back) and to the struct spawn. The ids are set by raw system
 * calls, as glibc's posix_spawn does: its wrappers would act for the init's threads too. */
static int child_exec(void *arg)
{
	struct spawn *sp = arg;
	struct start_req *r = sp->r;
	int in = sp->in, out = sp->out, err = sp->err;
	/* exec resets caught signals; an ignored one stays ignored: give the command the default. */
	signal(INIT_IGNORED_SIGNAL, SIG_DFL);
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	setsid();
	if (sp->pts) {
		int s = open(sp->pts, O_RDWR);
		if (s < 0)
			goto fail;
		ioctl(s, TIOCSCTTY, 0);
		in = out = err = s;
	}
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		goto fail;
	if (r->mkcwd)
		mkdir_p(r->cwd, 0755);
	if (chdir(r->cwd) < 0) {
		sp->stage = STAGE_CWD;
		sp->error = errno;
		_exit(126);
	}
	if (syscall(SYS_setgroups, (size_t)r->ngroups, r->groups) < 0 || syscall(SYS_setgid, r->gid) < 0 ||
	    syscall(SYS_setuid, r->uid) < 0)
		goto fail;
	environ = r->envp;
	char found[PATH_MAX];
	const char *path = path_search(r->argv[0], getenv("PATH"), found, sizeof found);
	if (path)
		execv(path, r->argv);
	execvp(r->argv[0], r->argv);
fail:
	sp->stage = STAGE_EXEC;
	sp->error = errno;
	_exit(errno == ENOENT ? 127 : 126);
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* With the bulk channel a pipe holds a whole bulk file: one write per file in, and output read
 * in files of up to that size while the host takes the last ones (fewer, larger files). */
static void bulk_pipe(int fd)
{
	if (fd >= 0 && bulk_out_ready())
		fcntl(fd, F_SETPIPE_SZ, (int)BULK_CHUNK);
}

void session_start(uint32_t id, const uint8_t *payload, uint32_t len)
{
	static char copy[MAX_PAYLOAD + 1];
	static struct start_req r;
	if (find(id))
		return send_exit(id, 125, 0, "session id already in use");
	struct session *s = NULL;
	for (int i = 0; i < MAX_SESSIONS && !s; i++)
		if (!sessions[i].used)
			s = &sessions[i];
	if (!s)
		return send_exit(id, 125, 0, "too many sessions in this guest");
	memcpy(copy, payload, len);
	copy[len] = 0;
	const char *bad = parse_start(&r, copy, len);
	if (bad)
		return send_exit(id, 125, 0, bad);
	static char merr[600];
	for (int i = 0; i < r.nmounts; i++) {
		bad = do_mount(r.mounts[i], merr, sizeof merr);
		if (bad)
			return send_exit(id, 125, 0, bad);
	}

	int po[2] = {-1, -1}, pe[2] = {-1, -1}, pi[2] = {-1, -1};
	int master = -1;
	char pts[64] = {0};
	if (r.tty) {
		master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
		    ptsname_r(master, pts, sizeof pts) != 0) {
			char msg[128];
			snprintf(msg, sizeof msg, "cannot open a pty in the guest: %s", strerror(errno));
			if (master >= 0)
				close(master);
			return send_exit(id, 125, 0, msg);
		}
		struct winsize ws = {.ws_row = r.rows, .ws_col = r.cols};
		ioctl(master, TIOCSWINSZ, &ws);
	} else {
		if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0)
			return send_exit(id, 125, 0, "pipe failed");
		if (r.stdin_open) {
			if (pipe2(pi, O_CLOEXEC) < 0)
				return send_exit(id, 125, 0, "pipe failed");
		} else {
			pi[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		}
	}
	unsigned long long oom_before = oom_kills();
	/* A vfork: the init's memory is not copied (in a uml guest a fork copies every page table
	 * entry through the host and makes each page copy-on-write), and the init waits until the
	 * child has exec'd or failed. */
	struct spawn sp = {.r = &r, .in = pi[0], .out = po[1], .err = pe[1], .pts = r.tty ? pts : NULL};
	char **env = environ;
	pid_t pid =
		clone(child_exec, child_stack + sizeof child_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &sp);
	environ = env;
	if (pid < 0) {
		if (master >= 0)
			close(master);
		if (!r.tty) {
			close(po[0]);
			close(po[1]);
			close(pe[0]);
			close(pe[1]);
			if (pi[0] >= 0)
				close(pi[0]);
			if (pi[1] >= 0)
				close(pi[1]);
		}
		return send_exit(id, 125, 0, "fork failed");
	}
	if (!r.tty) {
		close(po[1]);
		close(pe[1]);
		if (pi[0] >= 0)
			close(pi[0]);
	}
	if (sp.stage != STAGE_NONE) {
		int e = sp.error;
		/* exec failed: the child exits at once; reap it here so no session ever sees it. */
		waitpid(pid, NULL, 0);
		if (master >= 0)
			close(master);
		if (po[0] >= 0)
			close(po[0]);
		if (pe[0] >= 0)
			close(pe[0]);
		if (pi[1] >= 0)
			close(pi[1]);
		char msg[400];
		if (sp.stage == STAGE_CWD)
			snprintf(
				msg, sizeof msg, "chdir to cwd \"%.200s\" failed: %s%s", r.cwd, strerror(e),
				r.mkcwd ? ""
					: " (exec does not create its working directory: create it first, or "
					  "pick an existing one with -w)");
		else if (e == ENOENT)
			snprintf(msg, sizeof msg, "%.200s: command not found", r.argv[0]);
		else
			snprintf(msg, sizeof msg, "%.200s: %s", r.argv[0], strerror(e));
		return send_exit(id, sp.stage == STAGE_EXEC && e == ENOENT ? 127 : 126, 0, msg);
	}
	memset(s, 0, sizeof *s);
	s->used = 1;
	s->id = id;
	s->pid = pid;
	s->tty = r.tty;
	s->oom_kills_at_start = oom_before;
	if (r.tty) {
		s->out = s->in = master;
		s->err = -1;
	} else {
		s->out = po[0];
		s->err = pe[0];
		s->in = pi[1];
		bulk_pipe(s->out);
		bulk_pipe(s->err);
		/* Stdin's pipe holds 1 MiB on every VM, so a full one can be left to drain (ADR 0076). */
		if (r.stdin_open)
			s->in_deferred = fcntl(s->in, F_SETPIPE_SZ, (int)BULK_CHUNK) >= (int)BULK_CHUNK;
		s->in_defer_ms = STDIN_DEFER_START_MS;
	}
	nonblock(s->out);
	if (s->err >= 0)
		nonblock(s->err);
	if (s->in >= 0 && s->in != s->out)
		nonblock(s->in);
	uint8_t p[4];
	put32(p, (uint32_t)pid);
	ctl_send(F_STARTED, id, p, 4);
}

/* BULK_DONE for every bulk file whose bytes the process has all been given. */
static void release_marks(struct session *s)
{
	int kept = 0;
	for (int i = 0; i < s->nmarks; i++) {
		if (s->marks[i].end <= s->in_written)
			bulk_in_done(s->id, s->marks[i].seq);
		else
			s->marks[kept++] = s->marks[i];
	}
	s->nmarks = kept;
}

/* Monotonic ms when the main loop last woke: the clock is read once a turn (session_clock), as
 * every read is a system call, so a ptrace round trip in a uml guest (ADR 0081). */
static long long turn_ms;

void session_clock(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	turn_ms = (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* A full stdin pipe (1 MiB) is written again a little later, not as soon as its reader frees a
 * page (stdin_pace.c). */
static void defer_full_stdin(struct session *s)
{
	s->in_retry_at = s->q.bytes && s->in >= 0 && s->in_deferred ? turn_ms + s->in_defer_ms : 0;
}

/* Write what the pipe takes; the bytes written. */
static size_t flush_stdin(struct session *s)
{
	size_t wrote = 0;
	s->in_retry_at = 0;
	if (s->in >= 0 && s->q.bytes) {
		ssize_t n = squeue_write(&s->q, s->in);
		if (n < 0) {
			squeue_clear(&s->q); /* the reader is gone: drop what it will never read */
			s->in_written = s->in_taken;
		} else {
			s->in_written += (unsigned long long)n;
			wrote = (size_t)n;
		}
	}
	if (s->in < 0)
		s->in_written = s->in_taken;
	release_marks(s);
	if (!s->q.bytes && s->in_eof && s->in >= 0 && !s->tty) {
		close(s->in);
		s->in = -1;
	}
	defer_full_stdin(s);
	return wrote;
}

void session_stdin(uint32_t id, const uint8_t *p, uint32_t len)
{
	struct session *s = find(id);
	if (!s || s->in < 0)
		return;
	if (len == 0)
		s->in_eof = 1;
	else if (squeue_append(&s->q, p, len) < 0)
		die("out of memory buffering stdin");
	else
		s->in_taken += len;
	flush_stdin(s);
}

void session_stdin_bulk(uint32_t id, struct chunk *c, uint32_t seq)
{
	struct session *s = find(id);
	if (!s || s->in < 0 || s->nmarks == (int)(sizeof s->marks / sizeof s->marks[0])) {
		chunk_put(c);
		return bulk_in_done(id, seq);
	}
	size_t len = c->end - c->start;
	s->marks[s->nmarks].end = s->in_taken + len;
	s->marks[s->nmarks++].seq = seq;
	s->in_taken += len;
	squeue_push(&s->q, c);
	flush_stdin(s);
}

void session_input_lost(uint32_t id)
{
	struct session *s = find(id);
	require_guest_pid1();
	if (s)
		kill(s->pid, SIGKILL);
}

void session_bulk_taken(uint32_t id)
{
	struct session *s = find(id);
	if (s && s->out_files > 0)
		s->out_files--;
}

void session_resize(uint32_t id, const uint8_t *p, uint32_t len)
{
	struct session *s = find(id);
	if (!s || !s->tty || len < 4)
		return;
	struct winsize ws = {.ws_row = (unsigned short)(p[0] | p[1] << 8),
			     .ws_col = (unsigned short)(p[2] | p[3] << 8)};
	ioctl(s->out, TIOCSWINSZ, &ws);
}

void session_signal(uint32_t id, const uint8_t *p, uint32_t len)
{
	struct session *s = find(id);
	if (!s || len < 4)
		return;
	int sig = p[0] | p[1] << 8 | p[2] << 16 | p[3] << 24;
	require_guest_pid1();
	kill(s->pid, sig);
}

void session_pause(uint32_t id, int paused)
{
	struct session *s = find(id);
	if (s)
		s->paused = paused;
}

/* The host has not taken the session's last bulk output files: its output waits in the pipes. */
static int out_blocked(const struct session *s)
{
	return bulk_out_ready() && s->out_files >= BULK_WINDOW;
}

/* Pass on what one output fd has; returns 0 at EOF/EIO (then the fd is closed). With the bulk
 * channel, up to BULK_CHUNK bytes read at once go as a file, unless fewer than BULK_MIN came.
 * `draining` (the process exited) passes everything on without waiting for the host; otherwise a
 * paused session's output is not read, and at most OUT_TURNS chunks are read per call, so that a
 * fast writer cannot hold the init here and a PAUSE is read soon. */
static int pump_out(struct session *s, int *fd, uint8_t type, int draining)
{
	static uint8_t buf[BULK_CHUNK];
	for (int turns = 0; draining || turns < OUT_TURNS; turns++) {
		if (!draining && (s->paused || out_blocked(s)))
			return 1;
		size_t cap = bulk_out_ready() ? BULK_CHUNK : 65536, got = 0;
		int end = 0;
		while (got < cap) {
			ssize_t n = read(*fd, buf + got, cap - got);
			if (n > 0)
				got += (size_t)n;
			else if (n < 0 && errno == EINTR)
				continue;
			else {
				end = !(n < 0 && errno == EAGAIN);
				break;
			}
		}
		if (s->orphan)
			; /* no host session to give it to */
		else if (got >= BULK_MIN && bulk_out(s->id, type, buf, got))
			s->out_files++;
		else if (got)
			ctl_send(type, s->id, buf, (uint32_t)got);
		if (end) {
			if (s->in == *fd)
				s->in = -1;
			close(*fd);
			*fd = -1;
			return 0;
		}
		if (got < cap)
			return 1;
	}
	return 1;
}

/* Which session and which fd each pollfd slot belongs to. */
static struct {
	struct session *s;
	int which;
} slots[MAX_SESSIONS * 3];

int session_pollfds(struct pollfd *fds, int max)
{
	int n = 0;
	for (int i = 0; i < MAX_SESSIONS && n + 3 <= max; i++) {
		struct session *s = &sessions[i];
		if (!s->used)
			continue;
		/* Output the host has no room for yet (bulk files not taken, or a PAUSE) is not read,
		 * not even its hang-up. */
		int blocked = s->paused || out_blocked(s);
		short in_events = s->tty && s->q.bytes ? POLLOUT : 0;
		if (s->out >= 0 && (!blocked || in_events)) {
			fds[n] = (struct pollfd){.fd = s->out,
						 .events = (short)((blocked ? 0 : POLLIN) | in_events)};
			slots[n++] = (typeof(slots[0])){s, 1};
		}
		if (s->err >= 0 && !blocked) {
			fds[n] = (struct pollfd){.fd = s->err, .events = POLLIN};
			slots[n++] = (typeof(slots[0])){s, 2};
		}
		if (!s->tty && s->in >= 0 && s->q.bytes) {
			/* While deferred only its reader's end is watched (POLLERR comes unasked). */
			fds[n] = (struct pollfd){.fd = s->in, .events = s->in_retry_at ? 0 : POLLOUT};
			slots[n++] = (typeof(slots[0])){s, 0};
		}
	}
	return n;
}

int session_poll_timeout(void)
{
	long long next = 0;
	for (int i = 0; i < MAX_SESSIONS; i++)
		if (sessions[i].used && sessions[i].in_retry_at && (!next || sessions[i].in_retry_at < next))
			next = sessions[i].in_retry_at;
	if (!next)
		return -1;
	long long left = next - turn_ms;
	return left > 0 ? (int)left : 0;
}

void session_retry_due(void)
{
	long long now = turn_ms;
	for (int i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &sessions[i];
		if (s->used && s->in_retry_at && s->in_retry_at <= now) {
			size_t wrote = flush_stdin(s);
			/* Still full after the refill: the wait fits the reader's pace (the pipe was full). */
			if (s->in_retry_at)
				s->in_defer_ms = stdin_next_defer_ms(s->in_defer_ms, wrote, BULK_CHUNK);
			defer_full_stdin(s);
		}
	}
}

void session_handle(struct pollfd *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (!fds[i].revents)
			continue;
		struct session *s = slots[i].s;
		if (!s->used)
			continue;
		if (slots[i].which == 1 && s->out == fds[i].fd) {
			if (fds[i].revents & POLLOUT)
				flush_stdin(s);
			if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
				pump_out(s, &s->out, F_STDOUT, 0);
		} else if (slots[i].which == 2 && s->err == fds[i].fd) {
			pump_out(s, &s->err, F_STDERR, 0);
		} else if (slots[i].which == 0 && s->in == fds[i].fd) {
			if (fds[i].revents & (POLLERR | POLLHUP)) {
				close(s->in);
				s->in = -1;
				squeue_clear(&s->q);
			} else
				flush_stdin(s);
		}
	}
}

/* A pty passes the last output on asynchronously: wait a little for it (until EIO). */
static void drain_tty(struct session *s)
{
	for (int rounds = 0; s->out >= 0 && rounds < 50; rounds++) {
		struct pollfd p = {.fd = s->out, .events = POLLIN};
		if (poll(&p, 1, 20) <= 0)
			return;
		pump_out(s, &s->out, F_STDOUT, 1);
	}
}

void session_reaped(pid_t pid, int status)
{
	struct session *s = NULL;
	for (int i = 0; i < MAX_SESSIONS && !s; i++)
		if (sessions[i].used && sessions[i].pid == pid)
			s = &sessions[i];
	if (!s)
		return; /* an orphan adopted by PID 1 */
	if (s->tty)
		drain_tty(s);
	else {
		/* Pipes hold everything written before the exit: pass it on, without waiting for
       background processes that keep the pipes open. */
		if (s->out >= 0)
			pump_out(s, &s->out, F_STDOUT, 1);
		if (s->err >= 0)
			pump_out(s, &s->err, F_STDERR, 1);
	}
	if (s->out >= 0)
		close(s->out);
	if (s->err >= 0)
		close(s->err);
	if (s->in >= 0 && s->in != s->out)
		close(s->in);
	squeue_clear(&s->q);
	uint32_t id = s->id;
	uint16_t flags = oom_kills() > s->oom_kills_at_start ? EXIT_OOM_KILLED : 0;
	int orphan = s->orphan;
	memset(s, 0, sizeof *s);
	if (orphan)
		return;
	if (WIFSIGNALED(status))
		send_exit_flags(id, 128 + WTERMSIG(status), WTERMSIG(status), flags, NULL);
	else
		send_exit_flags(id, WEXITSTATUS(status), 0, flags, NULL);
}

/* A clone resumed from a running environment's saved state (template create --from) holds that
 * environment's sessions, which its host knows nothing of: their processes run on (they are the
 * state that was kept) under ids no host session uses, and nothing of them is sent. */
void session_orphan_all(void)
{
	for (int i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &sessions[i];
		if (!s->used)
			continue;
		s->orphan = 1;
		s->id = 0x80000000u | (uint32_t)i;
		s->paused = 0;
		s->out_files = 0;
		s->nmarks = 0;
		squeue_clear(&s->q);
	}
}

void session_kill_all(void)
{
	require_guest_pid1();
	kill(-1, SIGKILL);
}
