/*
 * A session's stdin not yet written to its process: a queue of chunks of up to BULK_CHUNK bytes
 * (ADR 0081). A bulk file is read straight into a chunk of its own, and a chunk is written from
 * where its reader stopped, so no byte is moved once it is in the queue. (A single buffer moved
 * its unwritten bytes to its start before each append: in a uml guest, exec -i of 64 MiB into
 * sha256sum moved 169 MB that way, and copied the 64 MiB in as well.) Chunks the queue is done
 * with are kept for the next ones, up to SPARE_CHUNKS: a fresh page costs a uml guest a fault.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "init.h"

#define SPARE_CHUNKS 4

static struct chunk *spare;
static int nspare;

struct chunk *chunk_get(void)
{
	struct chunk *c = spare;
	if (c) {
		spare = c->next;
		nspare--;
	} else {
		c = aligned_alloc(CHUNK_ALIGN, sizeof *c + BULK_CHUNK);
		if (!c)
			return NULL;
	}
	c->next = NULL;
	c->start = c->end = 0;
	return c;
}

void chunk_put(struct chunk *c)
{
	if (nspare >= SPARE_CHUNKS) {
		free(c);
		return;
	}
	c->next = spare;
	spare = c;
	nspare++;
}

int chunk_spares(void)
{
	return nspare;
}

static void link_tail(struct stdin_queue *q, struct chunk *c)
{
	c->next = NULL;
	if (q->tail)
		q->tail->next = c;
	else
		q->head = c;
	q->tail = c;
}

void squeue_push(struct stdin_queue *q, struct chunk *c)
{
	if (c->end == c->start) {
		chunk_put(c);
		return;
	}
	link_tail(q, c);
	q->bytes += c->end - c->start;
}

int squeue_append(struct stdin_queue *q, const uint8_t *p, size_t len)
{
	while (len > 0) {
		struct chunk *t = q->tail;
		if (!t || t->end == BULK_CHUNK) {
			t = chunk_get();
			if (!t)
				return -1;
			link_tail(q, t);
		}
		size_t n = BULK_CHUNK - t->end < len ? BULK_CHUNK - t->end : len;
		memcpy(t->data + t->end, p, n);
		t->end += n;
		q->bytes += n;
		p += n;
		len -= n;
	}
	return 0;
}

static void pop_head(struct stdin_queue *q)
{
	struct chunk *c = q->head;
	q->head = c->next;
	if (!q->head)
		q->tail = NULL;
	chunk_put(c);
}

ssize_t squeue_write(struct stdin_queue *q, int fd)
{
	size_t written = 0;
	while (q->head) {
		struct chunk *c = q->head;
		size_t want = c->end - c->start;
		ssize_t n = write(fd, c->data + c->start, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return written > 0 ? (ssize_t)written : -1;
		}
		c->start += (size_t)n;
		q->bytes -= (size_t)n;
		written += (size_t)n;
		if (c->start == c->end)
			pop_head(q);
		if ((size_t)n < want)
			break; /* a short write: the pipe is full (another would fail, at a system call's cost) */
	}
	return (ssize_t)written;
}

void squeue_clear(struct stdin_queue *q)
{
	while (q->head)
		pop_head(q);
	q->bytes = 0;
}
