/* util.c: small filesystem helpers of the shim (the shared ones: common/util.c). */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];

	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		die("path too long: %s", path);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				die_errno(NULL, "mkdir %s", buf);
			*p = c;
			if (c == '\0')
				break;
		}
	}
}

int open_devnull(int flags)
{
	int fd = open("/dev/null", flags | O_CLOEXEC);
	if (fd < 0)
		die_errno(NULL, "open /dev/null");
	return fd;
}

/* Make sure 0/1/2 exist so that no pipe we create lands on them, and keep
 * fds leaked by our caller out of the environment. */
void ensure_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0) {
			int n = open("/dev/null", O_RDWR);
			if (n != fd)
				die("cannot reopen standard fd %d", fd);
		}
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
}
