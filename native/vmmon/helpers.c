/* helpers.c: processes a VM needs before it starts (microvm -v: a virtiofsd per share, ADR
 * 0059; vm-helpers.ts): each is started with its output to console.log, and the VM starts once
 * every one listens on its socket. One that exits first or does not listen within 30 s fails
 * the start with its last line. They end with the VM (their socket's peer closes), else they are
 * killed by the string their argv holds (and no other process's). */
#include "vmmon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LISTEN_WITHIN_MS 30000

extern struct crilog console_log;

static char last[2048];
static size_t last_len;

static void keep_output(const char *buf, size_t n)
{
	crilog_write(&console_log, "stdout", buf, n);
	if (n >= sizeof last) {
		memcpy(last, buf + n - sizeof last, sizeof last);
		last_len = sizeof last;
		return;
	}
	if (last_len + n > sizeof last) {
		size_t drop = last_len + n - sizeof last;
		memmove(last, last + drop, last_len - drop);
		last_len -= drop;
	}
	memcpy(last + last_len, buf, n);
	last_len += n;
}

/* The last non-empty line of the helper's output, or "". */
static void last_line(char *out, size_t outlen)
{
	size_t end = last_len;

	while (end && (last[end - 1] == '\n' || last[end - 1] == '\r' || last[end - 1] == ' '))
		end--;
	size_t start = end;
	while (start && last[start - 1] != '\n')
		start--;
	snprintf(out, outlen, "%.*s", (int)(end - start), last + start);
}

static pid_t spawn(char **argv, int out)
{
	pid_t pid = fork();

	if (pid < 0)
		die_errno(NULL, "fork");
	if (pid == 0) {
		sigset_t none;
		int null = open("/dev/null", O_RDONLY);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		dup2(null, 0);
		dup2(out, 1);
		dup2(out, 2);
		close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
		execvp(argv[0], argv);
		dprintf(2, "cannot start %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

/* 0 once it listens; -1 after lifecycle_fail(). Its output pipe is handed to vm.c's consoles. */
static int start_one(const struct helper *h)
{
	struct stat st;
	long long deadline = now_ms() + LISTEN_WITHIN_MS;
	int p[2], status;
	pid_t pid;
	char line[600];

	if (pipe2(p, O_CLOEXEC) < 0)
		die_errno(NULL, "pipe");
	last_len = 0;
	pid = spawn(h->argv, p[1]);
	close(p[1]);
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	for (;;) {
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};
		char buf[4096];
		ssize_t n;
		if (stat(h->socket, &st) == 0)
			break;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			/* its last words first */
			while ((n = read(p[0], buf, sizeof buf)) > 0)
				keep_output(buf, (size_t)n);
			close(p[0]);
			last_line(line, sizeof line);
			if (WIFSIGNALED(status))
				lifecycle_fail("%s killed by SIG%s%s%s", h->what,
					       sigabbrev_np(WTERMSIG(status)), line[0] ? ": " : "", line);
			else
				lifecycle_fail("%s exited with status %d%s%s", h->what, WEXITSTATUS(status),
					       line[0] ? ": " : "", line);
			return -1;
		}
		if (now_ms() > deadline) {
			close(p[0]);
			lifecycle_fail("%s did not listen within %d s", h->what, LISTEN_WITHIN_MS / 1000);
			return -1;
		}
		if (poll(&pfd, 1, 10) > 0)
			while ((n = read(p[0], buf, sizeof buf)) > 0)
				keep_output(buf, (size_t)n);
	}
	vm_console_add(p[0]);
	return 0;
}

int helpers_start(void)
{
	for (size_t i = 0; i < C.nhelpers; i++)
		if (start_one(&C.helpers[i]) < 0)
			return -1;
	return 0;
}

/* SIGKILL every process whose argv names the needle (a helper and what it forked). */
void helpers_kill(void)
{
	size_t nl;
	DIR *d;
	struct dirent *e;

	if (!C.helpers_needle || !*C.helpers_needle)
		return;
	nl = strlen(C.helpers_needle);
	d = opendir("/proc");
	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[64], buf[8192];
		pid_t pid = (pid_t)atoi(e->d_name);
		ssize_t n;
		int fd;
		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof buf);
		close(fd);
		if (n > 0 && memmem(buf, (size_t)n, C.helpers_needle, nl))
			kill(pid, SIGKILL);
	}
	closedir(d);
}
