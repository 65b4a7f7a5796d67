/* pty.c: pseudo-terminal for --tty, raw mode and window size. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

/* Both ends are opened here (O_NOCTTY) so that the child can take the slave
 * as controlling terminal with TIOCSCTTY even after it changed root. */
void pty_open(int *master, int *slave)
{
	const char *name;

	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0)
		die_errno(NULL, "open /dev/ptmx");
	if (grantpt(*master) < 0 || unlockpt(*master) < 0)
		die_errno(NULL, "unlock pty");
	name = ptsname(*master);
	if (!name)
		die_errno(NULL, "ptsname");
	*slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*slave < 0)
		die_errno(NULL, "open %s", name);
}

int pty_open_send(int sock)
{
	char byte = 'p';
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr msg = {0};
	struct cmsghdr *c;
	int master, slave;

	pty_open(&master, &slave);
	memset(ctl, 0, sizeof ctl);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl;
	msg.msg_controllen = sizeof ctl;
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof(int));
	if (sendmsg(sock, &msg, 0) < 0)
		die_errno(NULL, "pass the pty to the monitor");
	close(master);
	/* Wait until the monitor has sized the terminal (or is gone): a command
	 * that asks at once (stty size) must not see 0x0. */
	while (read(sock, &byte, 1) < 0 && errno == EINTR)
		;
	close(sock);
	return slave;
}

int pty_recv_master(int sock)
{
	char byte;
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr msg = {0};
	struct cmsghdr *c;
	int fd = -1;

	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl;
	msg.msg_controllen = sizeof ctl;
	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

void pty_set_winsize(int fd, unsigned short rows, unsigned short cols)
{
	struct winsize ws = {.ws_row = rows, .ws_col = cols};

	ioctl(fd, TIOCSWINSZ, &ws);
}

int pty_winsize_open(const char *path)
{
	int fd;

	if (!path)
		return -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno(NULL, "open --winsize-file %s", path);
	return fd;
}

int pty_winsize_apply(int fd, int master)
{
	char buf[32];
	unsigned rows, cols;
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%u %u", &rows, &cols) != 2 || rows < 1 || rows > 65535 || cols < 1 || cols > 65535)
		return -1;
	pty_set_winsize(master, (unsigned short)rows, (unsigned short)cols);
	return 0;
}

void pty_size_detached(int winsize_fd, int master)
{
	if (winsize_fd < 0 || pty_winsize_apply(winsize_fd, master) < 0)
		pty_set_winsize(master, 24, 80);
}

/* FROM not a terminal (an API server's exec -it pipes it): 24x80, as for -dit. */
void pty_copy_winsize(int from, int to)
{
	struct winsize ws;

	if (ioctl(from, TIOCGWINSZ, &ws) == 0)
		ioctl(to, TIOCSWINSZ, &ws);
	else
		pty_set_winsize(to, 24, 80);
}

static struct termios saved;
static int saved_fd = -1;

static void tty_restore(void)
{
	if (saved_fd >= 0)
		tcsetattr(saved_fd, TCSADRAIN, &saved);
}

void tty_raw_leave(void)
{
	tty_restore();
	saved_fd = -1;
}

void tty_raw_enter(int fd)
{
	struct termios raw;

	if (!isatty(fd))
		return;
	if (tcgetattr(fd, &saved) < 0)
		die_errno(NULL, "tcgetattr");
	saved_fd = fd;
	atexit(tty_restore); /* die() and the normal exit both use exit() */
	raw = saved;
	cfmakeraw(&raw);
	if (tcsetattr(fd, TCSADRAIN, &raw) < 0)
		die_errno(NULL, "set raw mode");
}
