/* sync.c: how the child tells the monitor that setup or exec failed.
 * The child writes "<code> <message>" to a CLOEXEC pipe and _exit()s with
 * <code>; a successful execve() closes the pipe, so EOF means "running". */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int report_fd = -1;

static void child_die_hook(const char *msg)
{
	sync_child_fail(125, "%s", msg);
}

void sync_child_init(int fd)
{
	report_fd = fd;
	set_die_hook(child_die_hook);
}

void sync_child_close(void)
{
	if (report_fd >= 0)
		close(report_fd);
	report_fd = -1;
}

void sync_child_fail(int code, const char *fmt, ...)
{
	char buf[1200];
	int n;
	va_list ap;

	n = snprintf(buf, sizeof buf, "%d ", code);
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
	va_end(ap);
	if (report_fd >= 0)
		write_all(report_fd, buf, strlen(buf));
	_exit(code);
}

int sync_parent_wait(int fd, char *msg, size_t msglen)
{
	char buf[1200];
	size_t len = 0;
	char *sp;
	int code;

	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die_errno(NULL, "read child status pipe");
		}
		if (n == 0 || (len += (size_t)n) == sizeof buf - 1)
			break;
	}
	close(fd);
	if (len == 0)
		return 0;
	buf[len] = '\0';
	code = atoi(buf);
	sp = strchr(buf, ' ');
	snprintf(msg, msglen, "%s", sp ? sp + 1 : "container setup failed");
	return code > 0 && code < 256 ? code : 125;
}

pid_t fork_synced(int *sync_read, int *sigfd)
{
	int syncp[2];
	pid_t pid;

	if (pipe2(syncp, O_CLOEXEC) < 0)
		die_errno(NULL, "pipe");
	*sigfd = monitor_signals_block();
	pid = fork();
	if (pid < 0)
		die_errno(NULL, "fork");
	if (pid == 0) {
		close(syncp[0]);
		sync_child_init(syncp[1]);
		monitor_signals_restore();
		return 0;
	}
	close(syncp[1]);
	*sync_read = syncp[0];
	return pid;
}
