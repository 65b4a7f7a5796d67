/* queue.c: chunks of bytes (whole frames, partly written at the head) for a non-blocking fd. */
#include "vmmon.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct chunk *frame_new(uint8_t type, uint32_t session, const void *payload, size_t len)
{
	struct chunk *c = malloc(sizeof *c + HDR_LEN + len);

	if (!c)
		die("out of memory");
	c->next = NULL;
	c->len = HDR_LEN + len;
	c->off = 0;
	c->session = session;
	c->tagged = 0;
	c->data[0] = (char)type;
	for (int i = 0; i < 4; i++) {
		c->data[1 + i] = (char)(session >> (8 * i));
		c->data[5 + i] = (char)((uint32_t)len >> (8 * i));
	}
	if (len)
		memcpy(c->data + HDR_LEN, payload, len);
	return c;
}

void queue_push(struct queue *q, struct chunk *c)
{
	c->next = NULL;
	if (q->tail)
		q->tail->next = c;
	else
		q->head = c;
	q->tail = c;
	q->bytes += c->len - c->off;
}

void queue_push_front(struct queue *q, struct chunk *c)
{
	c->next = q->head;
	q->head = c;
	if (!q->tail)
		q->tail = c;
	q->bytes += c->len - c->off;
}

void queue_clear(struct queue *q)
{
	while (q->head) {
		struct chunk *c = q->head;
		q->head = c->next;
		free(c);
	}
	q->tail = NULL;
	q->bytes = 0;
}

int queue_flush(struct queue *q, int fd)
{
	while (q->head) {
		struct chunk *c = q->head;
		ssize_t n = write(fd, c->data + c->off, c->len - c->off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -1;
		}
		c->off += (size_t)n;
		q->bytes -= (size_t)n;
		if (c->off < c->len)
			return 0;
		q->head = c->next;
		if (!q->head)
			q->tail = NULL;
		free(c);
	}
	return 0;
}

void memory_settle(void)
{
	malloc_trim(0);
}

void *malloc_copy(const void *p, size_t n)
{
	void *c = malloc(n ? n : 1);
	if (!c)
		die("out of memory");
	if (n)
		memcpy(c, p, n);
	return c;
}
