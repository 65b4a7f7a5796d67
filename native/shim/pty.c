/* pty.c: pseudo-terminal for --tty, raw mode and window size. */
#include "shim.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
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

void pty_copy_winsize(int from, int to)
{
	struct winsize ws;

	if (ioctl(from, TIOCGWINSZ, &ws) == 0)
		ioctl(to, TIOCSWINSZ, &ws);
}

static struct termios saved;
static int saved_fd = -1;

static void tty_restore(void)
{
	if (saved_fd >= 0)
		tcsetattr(saved_fd, TCSADRAIN, &saved);
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
