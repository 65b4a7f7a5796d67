/* guestflow.c: host -> guest on the control channel (guest-flow.ts). `acked` (uml's serial
 * line): at most GUEST_WINDOW bytes written but not yet reported read by the init's ACKs;
 * frames may be cut anywhere. `stream` (microvm's virtio-serial port): only the socket's own
 * backpressure. Frames sent before the channel is connected wait in the queue. */
#include "vmmon.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static struct queue q;
static int fd = -1, acked, blocked, failed;
static size_t in_flight;

void gflow_connected(int f, int is_acked)
{
	fd = f;
	acked = is_acked;
	gflow_pump();
}

void gflow_send(struct chunk *c)
{
	queue_push(&q, c);
	gflow_pump();
}

void gflow_send_frame(uint8_t type, uint32_t session, const void *payload, size_t len)
{
	gflow_send(frame_new(type, session, payload, len));
}

void gflow_send_input(uint8_t type, uint32_t session, const void *payload, size_t len)
{
	struct chunk *c = frame_new(type, session, payload, len);
	c->tagged = 1;
	gflow_send(c);
}

void gflow_send_first(struct chunk *c)
{
	queue_push_front(&q, c);
	gflow_pump();
}

void gflow_acked(uint32_t n)
{
	in_flight = in_flight > n ? in_flight - n : 0;
	gflow_pump();
}

void gflow_drop(uint32_t session)
{
	struct chunk **p = &q.head, *prev = NULL;

	while (*p) {
		struct chunk *c = *p;
		if (c->tagged && c->session == session && c->off == 0) {
			*p = c->next;
			q.bytes -= c->len;
			free(c);
			continue;
		}
		prev = c;
		p = &c->next;
	}
	q.tail = prev;
}

void gflow_pump(void)
{
	if (fd < 0 || failed)
		return;
	blocked = 0;
	while (q.head) {
		struct chunk *c = q.head;
		size_t want = c->len - c->off;
		ssize_t n;
		if (acked) {
			if (in_flight >= GUEST_WINDOW)
				return;
			if (want > GUEST_WINDOW - in_flight)
				want = GUEST_WINDOW - in_flight;
		}
		n = write(fd, c->data + c->off, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno == EAGAIN)
				blocked = 1;
			else
				failed = 1; /* the VM's end is gone: its exit says the rest */
			return;
		}
		c->off += (size_t)n;
		q.bytes -= (size_t)n;
		if (acked)
			in_flight += (size_t)n;
		if (c->off == c->len) {
			q.head = c->next;
			if (!q.head)
				q.tail = NULL;
			free(c);
		} else if ((size_t)n < want) {
			blocked = 1;
			return;
		}
	}
}

size_t gflow_pending(void)
{
	return q.bytes;
}

int gflow_wants_write(void)
{
	return fd >= 0 && !failed && blocked;
}

void gflow_closed(void)
{
	fd = -1;
	failed = 1;
}
