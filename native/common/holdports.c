/* holdports.c: a bridge network's published host ports, bound and kept by the
 * environment's monitor for its whole life. Their traffic is DNATed to the
 * environment, so the sockets never see a packet: they only keep any other
 * program from binding the port, as Docker and Podman hold theirs. No
 * SO_REUSEADDR, and no listen(): a second bind of the address, or of the
 * wildcard, fails with EADDRINUSE. */
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* SPEC is "tcp:ADDR:PORT" or "udp:ADDR:PORT" (IPv4). Returns the bound socket
 * (close-on-exec: the command never has it), or dies naming the port. */
int hold_port(const char *spec)
{
	char buf[64], *addr, *port, *end;
	struct sockaddr_in sa = {.sin_family = AF_INET};
	unsigned long p;
	int type, fd;

	if (strlen(spec) >= sizeof buf)
		die("--hold-port '%s' is too long", spec);
	strcpy(buf, spec);
	addr = strchr(buf, ':');
	port = addr ? strrchr(addr + 1, ':') : NULL;
	if (!addr || !port)
		die("--hold-port '%s' is not PROTO:ADDR:PORT", spec);
	*addr++ = '\0';
	*port++ = '\0';
	if (!strcmp(buf, "tcp"))
		type = SOCK_STREAM;
	else if (!strcmp(buf, "udp"))
		type = SOCK_DGRAM;
	else
		die("--hold-port '%s': protocol is neither tcp nor udp", spec);
	errno = 0;
	p = strtoul(port, &end, 10);
	if (errno || *end || p == 0 || p > 65535 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		die("--hold-port '%s' has no valid IPv4 address and port", spec);
	sa.sin_port = htons((unsigned short)p);
	fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die_errno(NULL, "socket for host port %s", spec);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		die_errno("choose another host port with -p, or stop what listens there",
			  "host port %s:%lu/%s cannot be held", addr, p, buf);
	return fd;
}
