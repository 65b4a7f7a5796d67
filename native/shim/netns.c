/* netns.c: a new network namespace has only `lo`, and it is down: bring it up.
 * Its ping_group_range starts at "1 0" (nobody may open ICMP echo sockets):
 * widen it, as Docker does, so ping works without CAP_NET_RAW. */
#include "shim.h"

#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

void netns_lo_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		die_errno(NULL, "socket (to bring lo up)");
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		die_errno(NULL, "SIOCGIFFLAGS lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		die_errno(NULL, "bring lo up (SIOCSIFFLAGS)");
	close(s);
}

static int write_ping_range(const char *range)
{
	int fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, range, strlen(range));
	close(fd);
	return n == (ssize_t)strlen(range) ? 0 : -1;
}

/* Every group may ping; in a user namespace with a short gid map the kernel
 * refuses unmapped gids, so fall back to the groups mapped there, then to 0.
 * Best effort: a netns where neither is allowed keeps the kernel's default. */
void netns_ping_groups(void)
{
	if (write_ping_range("0 2147483647") == 0)
		return;
	if (write_ping_range("0 65535") == 0)
		return;
	(void)write_ping_range("0 0");
}
