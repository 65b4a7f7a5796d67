/* run.c: `berth-shim run`. This process is the monitor (with --detach, a
 * forked, setsid()ed copy is, and this "front" process only waits for the
 * verdict). It prepares stdio, forks the child (child.c), writes the maps
 * for a user namespace, learns from the sync pipe whether the command was
 * exec'd, then relays (monitor.c) and records the exit status. */
#include "shim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static struct opts O;
static pid_t child = -1;
static struct crilog log = {.fd = -1};
static int report_fd = -1; /* --detach: verdict pipe to the front process */

/* A failure in the monitor: the child must not outlive it unrecorded. */
static void monitor_die_hook(const char *msg)
{
	if (child > 0)
		kill(child, SIGKILL);
	if (child > 0 && O.state_dir)
		state_write_exit(O.state_dir, 125, 0, 0, msg);
	if (report_fd >= 0)
		dprintf(report_fd, "125 %s", msg);
}

/* --exit-hook: CMD has ended and no caller waits for it (a detached run, a
 * session detached with Ctrl-P Ctrl-Q, or a caller that died): start the hook
 * in a session of its own (berth's auto-remove for --rm) and leave it be. */
static void run_exit_hook(void)
{
	pid_t pid = fork();

	if (pid != 0)
		return; /* the hook outlives us; a failed fork only skips it */
	monitor_signals_restore();
	setsid();
	int devnull = open_devnull(O_RDWR);
	dup2(devnull, 0);
	dup2(devnull, 1);
	dup2(devnull, 2);
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	execv(O.exit_hook[0], O.exit_hook);
	_exit(127);
}

/* Our children now (pid 1's ppid is never us), SIGKILLed; 0 when none is left. */
static int kill_children(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t self = getpid();
	int found = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[64], buf[512], *rp;
		int ppid, fd, pid = atoi(e->d_name);
		ssize_t n;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof path, "/proc/%d/stat", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof buf - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		rp = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
		if (rp && sscanf(rp + 1, " %*c %d", &ppid) == 1 && ppid == self) {
			kill((pid_t)pid, SIGKILL);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

/* No pid namespace: what the command left running in the background was
 * reparented to us (a subreaper). It ends with the command, as it would
 * when a pid namespace's init exits: kill, reap, repeat for what each
 * death hands over, until we have no child left. */
static void end_leftovers(void)
{
	for (;;) {
		pid_t p;

		/* Reap first: with no child left (the usual case) there is nothing to look
		 * for, and a walk of /proc costs a read per host process. */
		while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (p < 0 && errno == ECHILD)
			return;
		if (!kill_children())
			usleep(10000); /* one is still dying, or was handed to us just now */
	}
}

/* --detach: "0" = running; "<code> <message>" = failed. */
static void report(int code, const char *msg)
{
	if (report_fd < 0)
		return;
	if (code)
		dprintf(report_fd, "%d %s", code, msg);
	else
		dprintf(report_fd, "0");
	close(report_fd);
	report_fd = -1;
}

static int front_wait(int fd)
{
	char buf[1400];
	size_t len = 0;
	ssize_t n;
	int code;

	while (len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die_errno(NULL, "read from the monitor");
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (len == 0)
		die("the monitor exited before reporting whether the command started");
	code = atoi(buf);
	if (code == 0)
		return 0;
	fprintf(stderr, "berth: %s\n", strchr(buf, ' ') ? strchr(buf, ' ') + 1 : "failed");
	return code;
}

int cmd_run(int argc, char **argv)
{
	struct userns_sync us;
	struct child_io io;
	struct monitor m;
	int outp[2] = {-1, -1}, errp[2] = {-1, -1}, syncr;
	int inp[2] = {-1, -1}, fifo = -1; /* --stdin-fifo */
	int master = -1, consp[2] = {-1, -1}, pidp[2] = {-1, -1}, exitp[2] = {-1, -1};
	int devnull, sigfd, code, status, winsize_fd;
	char msg[1200];
	pid_t caller;

	opts_parse_run(&O, argc, argv);
	/* Before the fork: a port that cannot be held fails the start, on the caller's stderr. */
	for (int i = 0; i < O.n_hold_port; i++)
		hold_port(O.hold_port[i]);
	set_die_hook(monitor_die_hook);
	caller = getppid();

	if (O.detach) {
		int rp[2];
		pid_t pid;

		if (pipe2(rp, O_CLOEXEC) < 0)
			die_errno(NULL, "pipe");
		pid = fork();
		if (pid < 0)
			die_errno(NULL, "fork");
		if (pid > 0) {
			set_die_hook(NULL);
			close(rp[1]);
			if (O.net_sync_fd >= 0)
				close(O.net_sync_fd); /* only the child may answer the caller */
			return front_wait(rp[0]);
		}
		close(rp[0]);
		report_fd = rp[1];
		if (setsid() < 0)
			die_errno(NULL, "setsid");
	}

	if (O.log_path)
		crilog_open(&log, O.log_path, O.log_max_size, O.log_max_files);
	devnull = open_devnull(O_RDWR);
	winsize_fd = O.tty ? pty_winsize_open(O.winsize_file) : -1;
	if (O.tty) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, consp) < 0)
			die_errno(NULL, "socketpair");
		io = (struct child_io){-1, -1, -1, 1, consp[1]};
	} else {
		if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
			die_errno(NULL, "pipe");
		io = (struct child_io){O.interactive ? 0 : devnull, outp[1], errp[1], 0, -1};
	}
	if (O.stdin_fifo && O.detach && O.interactive) {
		fifo = stdin_fifo_create(O.stdin_fifo);
		if (!O.tty) {
			if (pipe2(inp, O_CLOEXEC) < 0)
				die_errno(NULL, "pipe");
			io.in = inp[0];
		}
	}
	if (O.ns.user || O.n_cgroups)
		userns_sync_init(&us);
	/* With --pid-ns, PID 1 is our grandchild: we adopt it when its parent
	 * exits. Without, the command's orphans come to us (end_leftovers). */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		die_errno(NULL, "PR_SET_CHILD_SUBREAPER");
	if (O.ns.pid && (pipe2(pidp, O_CLOEXEC) < 0 || pipe2(exitp, O_CLOEXEC | O_NONBLOCK) < 0))
		die_errno(NULL, "pipe");
	child = fork_synced(&syncr, &sigfd);
	if (child == 0) {
		close(pidp[0]);
		close(exitp[0]);
		child_run(&O, &io, &us, pidp[1], exitp[1]);
	}
	if (exitp[1] >= 0)
		close(exitp[1]);
	if (O.net_sync_fd >= 0)
		close(O.net_sync_fd); /* the child holds it: EOF tells the caller it died */
	if (O.tty)
		close(consp[1]);
	else {
		close(outp[1]);
		close(errp[1]);
	}
	if (inp[0] >= 0)
		close(inp[0]);

	if (!O.ns.pid)
		state_write_pids(O.state_dir, getpid(), child, 0);
	if ((O.ns.user || O.n_cgroups) && userns_parent_wait(&us) == 0) {
		cgroup_join(&O, child);
		userns_parent_map(&us, child, &O);
	}
	if (O.ns.pid) {
		pid_t init;

		close(pidp[1]);
		init = init_pid_read(pidp[0]);
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		child = init; /* -1: failed before forking it; the sync pipe says why */
		if (child > 0)
			state_write_pids(O.state_dir, getpid(), child, 0);
	}
	if (O.tty) {
		/* -1 when setup failed first: the sync pipe then says why. */
		master = pty_recv_master(consp[0]);
		if (master >= 0 && !O.detach)
			pty_copy_winsize(0, master);
		else if (master >= 0)
			pty_size_detached(winsize_fd, master); /* -dit: no terminal to copy from */
		/* The child waits for this before it runs the command (pty_open_send). */
		if (master >= 0 && write(consp[0], "w", 1) < 0)
			die_errno(NULL, "tell the child the terminal is sized");
		close(consp[0]);
	}
	code = sync_parent_wait(syncr, msg, sizeof msg);
	if (!code && child <= 0)
		die("the pid namespace's init did not start");
	if (!code && O.tty && master < 0)
		die("the command started without a terminal");
	if (code) {
		while (child > 0 && waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		child = -1;
		set_die_hook(NULL);
		state_write_exit(O.state_dir, code, 0, 0, msg);
		if (report_fd >= 0)
			report(code, msg);
		else
			fprintf(stderr, "berth: %s\n", msg);
		return code;
	}
	if (O.detach) {
		report(0, NULL);
		dup2(devnull, 0);
		dup2(devnull, 1);
		dup2(devnull, 2);
	} else if (O.tty) {
		tty_raw_enter(0);
	}

	m = (struct monitor){
		.child = child,
		.out_fd = outp[0],
		.err_fd = errp[0],
		.master = master,
		.relay_stdin = O.tty && !O.detach,
		.to_terminal = !O.detach,
		.log = O.log_path ? &log : NULL,
		.notify_fd = O.tty && !O.detach ? O.notify_fd : -1,
		.sigfd = sigfd,
		.in_fifo = fifo,
		.in_pipe = inp[1],
		.fifo_path = O.stdin_fifo,
		.winsize_fd = winsize_fd,
	};
	status = monitor_loop(&m);
	child = -1;
	if (!O.ns.pid)
		end_leftovers();
	code = exit_code_of(status);
	/* With --pid-ns PID 1 exits 128+N for CMD's signal N, and says which. */
	state_write_exit(O.state_dir, code,
			 WIFSIGNALED(status) ? WTERMSIG(status) : init_exit_signal(exitp[0], status),
			 cgroup_oom_killed(&O), NULL);
	if (O.n_exit_hook && (O.detach || !m.to_terminal || getppid() != caller))
		run_exit_hook();
	return code;
}
