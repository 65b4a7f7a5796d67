/* netsync.c: --net-sync-fd N. The caller (berth) plumbs the environment's
 * network namespace from outside (veth + addresses, or pasta/slirp4netns),
 * which it can only do once the namespace exists and must finish before the
 * command runs. So the child, right after unshare(CLONE_NEWNET) and lo up,
 * sends its host pid ("<pid>\n") on N and waits for one byte: '1' = ready,
 * anything else or EOF = the caller failed (it reports why itself). */
#include "shim.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

void netsync_child(int fd)
{
	char buf[32], c = 0;
	int len = snprintf(buf, sizeof buf, "%d\n", (int)getpid());
	ssize_t n;

	if (write_all(fd, buf, (size_t)len) < 0)
		die_errno(NULL, "send the network namespace to berth");
	while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
		;
	close(fd);
	if (n != 1 || c != '1')
		die("the network was not set up (berth gave up on it)");
}
