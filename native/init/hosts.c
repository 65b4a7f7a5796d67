/*
 * `berth-hosts`: replace the guest's /etc/hosts with what arrives on stdin. The VM monitor
 * starts it (the init's own binary, /proc/1/exe) as an ordinary exec session whenever the
 * host-side copy of the environment's hosts file changes: peers joining or leaving a named
 * network. The file is rewritten in place, as on the shim backends, so its inode stays.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "init.h"

#define HOSTS_MAX (256 * 1024)

int hosts_main(void)
{
	static char buf[HOSTS_MAX];
	size_t len = 0;
	for (;;) {
		ssize_t n = read(0, buf + len, sizeof buf - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "berth-hosts: read: %s\n", strerror(errno));
			return 1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof buf) {
			fprintf(stderr, "berth-hosts: more than %d bytes\n", HOSTS_MAX);
			return 1;
		}
	}
	int fd = open("/etc/hosts", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write_all(fd, buf, len) < 0 || close(fd) < 0) {
		fprintf(stderr, "berth-hosts: write /etc/hosts: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
