/*
 * `berth-connect PORT`: the guest end of a published port (-p) on a VM whose network cannot
 * carry it from the host's loopback. The VM monitor accepts the host connection and starts
 * this program (the init's own binary, /proc/1/exe) as an ordinary exec session: it connects
 * to 127.0.0.1:PORT inside the guest and copies stdin to the socket and the socket to stdout.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "init.h"

/* Copies what one fd has to another; 0 at EOF or error. One 1 MiB read empties what the init
 * wrote into the stdin pipe from one bulk file: each system call is a round trip through the uml
 * kernel's ptrace, so fewer, larger ones are what moves bytes here. Static: its pages are faulted
 * in once (both directions share it; the loop copies one direction at a time). */
static int copy_once(int from, int to)
{
	static char buf[1 << 20];
	ssize_t n;
	do
		n = read(from, buf, sizeof buf);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return 0;
	return write_all(to, buf, (size_t)n) == 0;
}

int relay_main(const char *port_text)
{
	char *end;
	long port = strtol(port_text, &end, 10);
	if (*end || port < 1 || port > 65535) {
		fprintf(stderr, "berth-connect: bad port %s\n", port_text);
		return 2;
	}
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
		fprintf(stderr, "berth-connect: nothing accepts connections on port %ld in the guest: %s\n",
			port, strerror(errno));
		return 1;
	}
	int in_open = 1;
	for (;;) {
		struct pollfd p[2] = {{.fd = in_open ? 0 : -1, .events = POLLIN},
				      {.fd = s, .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (p[0].revents && !copy_once(0, s)) {
			in_open = 0;
			shutdown(s, SHUT_WR);
		}
		if (p[1].revents && !copy_once(s, 1))
			return 0;
	}
}
