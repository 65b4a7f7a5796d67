/* relay.c: published ports carried over the guest protocol (vm-port-relay.ts): for a VM whose
 * network cannot take a connection from the host's loopback (uml's slirp), the monitor listens
 * on HOST_ADDR:HOST_PORT itself; each connection is a raw client (clients.c) whose session is an
 * exec of `/proc/1/exe berth-connect GUEST_PORT`: its bytes go as STDIN, the session's STDOUT
 * comes back, its end of input is EOF, the session's EXIT closes the connection (half-open
 * allowed), and a connection that goes away kills the session. */
#include "vmmon.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int *fds;

int relays_listen(void)
{
	fds = calloc(C.nrelays ? C.nrelays : 1, sizeof *fds);
	if (!fds)
		die("out of memory");
	for (size_t i = 0; i < C.nrelays; i++) {
		struct relay_port *r = &C.relays[i];
		struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)r->port)};
		struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)r->port)};
		struct sockaddr *sa;
		socklen_t salen;
		int one = 1;
		if (inet_pton(AF_INET, r->addr, &v4.sin_addr) == 1) {
			sa = (struct sockaddr *)&v4;
			salen = sizeof v4;
		} else if (inet_pton(AF_INET6, r->addr, &v6.sin6_addr) == 1) {
			sa = (struct sockaddr *)&v6;
			salen = sizeof v6;
		} else {
			lifecycle_fail("cannot publish a port: %s is not an IP address", r->addr);
			return -1;
		}
		fds[i] = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fds[i] < 0 || setsockopt(fds[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
		    bind(fds[i], sa, salen) < 0 || listen(fds[i], 511) < 0) {
			lifecycle_fail("cannot publish a port: listen on %s:%u: %s", r->addr, r->port,
				       strerror(errno));
			return -1;
		}
	}
	return 0;
}

int relay_fds(int *out, int max)
{
	int n = 0;

	for (size_t i = 0; i < C.nrelays && n < max; i++)
		if (fds[i] >= 0)
			out[n++] = fds[i];
	return n;
}

int relay_is(int fd)
{
	for (size_t i = 0; i < C.nrelays; i++)
		if (fds[i] == fd)
			return 1;
	return 0;
}

void relay_accept(int lfd)
{
	size_t i;
	int fd;

	for (i = 0; i < C.nrelays && fds[i] != lfd; i++)
		;
	if (i == C.nrelays)
		return;
	while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		struct frame f = {.type = F_START,
				  .session = 1,
				  .len = (uint32_t)C.relays[i].start_len,
				  .payload = C.relays[i].start};
		struct client *c = client_new(fd);
		c->raw = 1;
		client_frame(c, &f);
	}
}
