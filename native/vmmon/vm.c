/* vm.c: the VM process (uml's kernel or QEMU): started with /dev/null as stdin, its stdout and
 * stderr (and uml's console fd) logged to console.log, the control channel as its fd N (uml),
 * as the monitor's own identity or the one the driver names (root's uml kernel, ADR 0046).
 * pids.json names it once it runs. */
#include "vmmon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t pid = -1;
#define MAX_CONSOLES 16

static int consoles[MAX_CONSOLES] = {-1, -1, -1};
static int nconsoles;

pid_t vm_pid(void)
{
	return pid;
}

static void pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		die_errno(NULL, "socketpair");
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* In the child: fds[i] becomes fd i (i < n; -1: /dev/null); every other fd closes on exec. */
static void child_fds(int *fds, int n)
{
	int high[8];

	for (int i = 0; i < n; i++) {
		int f = fds[i] >= 0 ? fds[i] : open("/dev/null", O_RDWR | O_CLOEXEC);
		high[i] = fcntl(f, F_DUPFD_CLOEXEC, 16);
		if (high[i] < 0)
			_exit(127);
	}
	for (int i = 0; i < n; i++)
		if (dup2(high[i], i) < 0)
			_exit(127);
	close_range((unsigned)n, ~0U, CLOSE_RANGE_CLOEXEC);
}

static void __attribute__((noreturn)) child(int *fds, int n, int report)
{
	sigset_t none;
	int err;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* above every fd child_fds() places, so that it survives until exec */
	report = fcntl(report, F_DUPFD_CLOEXEC, 100);
	for (char **e = C.env; e && *e; e++) {
		char *eq = strchr(*e, '=');
		if (eq) {
			*eq = '\0';
			setenv(*e, eq + 1, 1);
		}
	}
	if (C.has_user &&
	    ((getuid() == 0 && setgroups(0, NULL) < 0) || setgid(C.gid) < 0 || setuid(C.uid) < 0))
		goto fail;
	if (C.cwd && chdir(C.cwd) < 0)
		goto fail;
	child_fds(fds, n);
	execvp(C.argv[0], C.argv);
fail:
	err = errno;
	if (report >= 0 && write(report, &err, sizeof err) < 0)
		_exit(127);
	_exit(127);
}

void vm_start(void)
{
	int fds[8], nfds = 3, out[2], err[2], ctl[2] = {-1, -1}, con[2] = {-1, -1}, rep[2], e = 0;
	ssize_t got;

	pair(out);
	pair(err);
	if (C.ctl_fd >= 0)
		pair(ctl);
	if (C.console_fd >= 0)
		pair(con);
	if (pipe2(rep, O_CLOEXEC) < 0)
		die_errno(NULL, "pipe");
	fds[0] = -1;
	fds[1] = out[1];
	fds[2] = err[1];
	for (int i = 3; i < 8; i++)
		fds[i] = -1;
	if (C.ctl_fd >= 3 && C.ctl_fd < 7)
		fds[C.ctl_fd] = ctl[1];
	if (C.console_fd >= 3 && C.console_fd < 7)
		fds[C.console_fd] = con[1];
	if (C.ctl_fd >= 7 || C.console_fd >= 7)
		die("monitor.cfg: ctl_fd and console_fd must be below 7");
	if (C.ctl_fd + 1 > nfds)
		nfds = C.ctl_fd + 1;
	if (C.console_fd + 1 > nfds)
		nfds = C.console_fd + 1;
	pid = fork();
	if (pid < 0)
		die_errno(NULL, "fork");
	if (pid == 0) {
		close(rep[0]);
		child(fds, nfds, rep[1]);
	}
	close(rep[1]);
	close(out[1]);
	close(err[1]);
	consoles[nconsoles++] = out[0];
	consoles[nconsoles++] = err[0];
	if (con[1] >= 0) {
		close(con[1]);
		consoles[nconsoles++] = con[0];
	}
	if (ctl[1] >= 0)
		close(ctl[1]);
	for (int i = 0; i < nconsoles; i++)
		nonblock(consoles[i]);
	while ((got = read(rep[0], &e, sizeof e)) < 0 && errno == EINTR)
		;
	close(rep[0]);
	if (got == (ssize_t)sizeof e) {
		waitpid(pid, NULL, 0);
		pid = -1;
		errno = e;
		lifecycle_fail("cannot start %s: %s", C.what, strerror(e));
		return;
	}
	state_write_pids(C.state_dir, getpid(), pid, 1);
	ctl_start(C.ctl_fd >= 0 ? ctl[0] : -1);
}

void vm_console_add(int fd)
{
	if (nconsoles == MAX_CONSOLES) {
		close(fd);
		return;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	consoles[nconsoles++] = fd;
}

int vm_console_fds(int *out, int max)
{
	int n = 0;

	for (int i = 0; i < nconsoles && n < max; i++)
		if (consoles[i] >= 0)
			out[n++] = consoles[i];
	return n;
}

extern struct crilog console_log;

/* One read; closes fd at EOF. Returns the bytes read (0: nothing now or closed). */
static ssize_t console_once(int i)
{
	char buf[16384];
	ssize_t n = read(consoles[i], buf, sizeof buf);

	if (n > 0) {
		crilog_write(&console_log, "stdout", buf, (size_t)n);
		console_tail_add(buf, (size_t)n);
		return n;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	close(consoles[i]);
	consoles[i] = -1;
	return 0;
}

void vm_console_read(int fd)
{
	for (int i = 0; i < nconsoles; i++)
		if (consoles[i] == fd)
			console_once(i);
}

void vm_console_drain(void)
{
	for (int i = 0; i < nconsoles; i++)
		while (consoles[i] >= 0 && console_once(i) > 0)
			;
}

void vm_reap(void)
{
	int status;
	pid_t p;

	while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
		if (p == pid) {
			pid = -1;
			lifecycle_vm_exited(status);
		}
	}
}

/* The VM process and its group (a uml kernel leads a session of its own). */
void vm_kill(void)
{
	if (pid <= 0)
		return;
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
}
