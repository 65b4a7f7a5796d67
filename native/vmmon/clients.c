/* clients.c: the monitor's unix socket: later berth invocations (attach, exec, signal) connect,
 * are told where the command stands (READY, STARTED 1, EXIT 1), and speak frames
 * (clientframe.c). Each client's output waits in its own queue; outflow.c pauses a guest
 * session whose client is behind. A client that goes away is freed after the loop's turn. */
#include "vmmon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct client *clients;
int detached_once;
static int sfd = -1;

int server_fd(void)
{
	return sfd;
}

void server_listen(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};

	if (strlen(C.socket) >= sizeof a.sun_path)
		die("monitor socket path too long: %s", C.socket);
	strcpy(a.sun_path, C.socket);
	unlink(C.socket);
	sfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sfd < 0)
		die_errno(NULL, "socket");
	if (bind(sfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(sfd, 64) < 0)
		die_errno(NULL, "listen on %s", C.socket);
}

void server_close(void)
{
	if (sfd >= 0)
		close(sfd);
	sfd = -1;
	unlink(C.socket);
}

struct client *client_new(int fd)
{
	struct client *c = calloc(1, sizeof *c);

	if (!c)
		die("out of memory");
	c->fd = fd;
	c->next = clients;
	clients = c;
	return c;
}

void server_accept(void)
{
	int fd;

	while ((fd = accept4(sfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		struct client *c = client_new(fd);
		char exitp[8 + 1024];
		size_t elen;
		/* Replay the command's state so a late client knows where things stand. */
		if (ready)
			client_send(c, F_READY, 0, NULL, 0);
		if (main_started)
			client_send(c, F_STARTED, MAIN_SESSION, main_started, main_started_len);
		if (has_main_exit) {
			encode_exit(&main_exit, exitp, &elen);
			client_send(c, F_EXIT, MAIN_SESSION, exitp, elen);
		}
	}
}

static void mark_dead(struct client *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	client_gone(c);
}

/* A relayed connection gets its session's output as bytes; its EXIT ends the connection. */
static void raw_send(struct client *c, uint8_t type, const void *payload, size_t len)
{
	if (type == F_STDOUT && len) {
		struct chunk *k = frame_new(type, 0, payload, len);
		k->off = HDR_LEN; /* the bytes without the frame's header */
		queue_push(&c->out, k);
	} else if (type == F_EXIT)
		c->ending = 1;
	client_writable(c);
}

void client_send(struct client *c, uint8_t type, uint32_t session, const void *payload, size_t len)
{
	if (c->dead)
		return;
	if (c->raw) {
		raw_send(c, type, payload, len);
		return;
	}
	queue_push(&c->out, frame_new(type, session, payload, len));
	client_writable(c);
}

void client_broadcast(uint8_t type, uint32_t session, const void *payload, size_t len)
{
	for (struct client *c = clients; c; c = c->next)
		if (!c->raw)
			client_send(c, type, session, payload, len);
}

void client_writable(struct client *c)
{
	if (c->dead)
		return;
	if (queue_flush(&c->out, c->fd) < 0) {
		queue_clear(&c->out);
		mark_dead(c);
		return;
	}
	if (c->out.bytes == 0)
		outflow_drained(c);
	if (c->raw && c->ending && c->out.bytes == 0) {
		/* Half-open allowed: once the peer's input ended too, the connection is done. */
		if (c->eof_in)
			mark_dead(c);
		else if (c->ending == 1) {
			shutdown(c->fd, SHUT_WR);
			c->ending = 2;
		}
	}
}

/* A relayed connection's bytes are its session's stdin; its EOF is the session's. */
static void raw_readable(struct client *c)
{
	char buf[65536];
	struct frame f = {.type = F_STDIN, .session = 1, .payload = buf};
	ssize_t n = read(c->fd, buf, sizeof buf);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0 || (n == 0 && c->eof_in)) {
		mark_dead(c);
		return;
	}
	if (c->ending == 2) { /* the session is over: what still comes is not read by anyone */
		if (n == 0)
			mark_dead(c);
		return;
	}
	if (n == 0) {
		c->eof_in = 1;
		f.len = 0;
		client_frame(c, &f);
		if (c->ending && c->out.bytes == 0)
			mark_dead(c);
		return;
	}
	f.len = (uint32_t)n;
	client_frame(c, &f);
}

void client_readable(struct client *c)
{
	char *space;
	ssize_t n;

	if (c->dead)
		return;
	if (c->raw) {
		raw_readable(c);
		return;
	}
	space = decoder_space(&c->dec, 65536);
	n = read(c->fd, space, 65536);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0 || decoder_feed(&c->dec, (size_t)n, client_frame, c) < 0)
		mark_dead(c);
}

void clients_reap(void)
{
	struct client **p = &clients;
	int freed = 0;

	while (*p) {
		struct client *c = *p;
		if (!c->dead) {
			p = &c->next;
			continue;
		}
		*p = c->next;
		close(c->fd);
		queue_clear(&c->out);
		decoder_free(&c->dec);
		free(c->sessions);
		free(c->taken_wait);
		free(c);
		freed = 1;
	}
	if (freed)
		memory_settle();
}

void clients_resume_input(void)
{
	for (struct client *c = clients; c; c = c->next) {
		if (c->input_paused == 1 && gflow_pending() < CLIENT_INPUT_LIMIT / 2)
			c->input_paused = 0;
		else if (c->input_paused == 2 && bulk_held(c->pause_g) < CLIENT_INPUT_LIMIT / 2)
			c->input_paused = 0;
	}
}

int clients_flushed(void)
{
	for (struct client *c = clients; c; c = c->next)
		if (!c->dead && c->out.bytes > 0)
			return 0;
	return 1;
}

/* The monitor is done: clients get what is queued, then EOF (shutdown), then are closed at exit. */
void clients_end(void)
{
	for (struct client *c = clients; c; c = c->next)
		c->input_paused = 3;
}

int any_detached(void)
{
	for (struct client *c = clients; c; c = c->next)
		if (c->detached && !c->dead)
			return 1;
	return detached_once;
}
