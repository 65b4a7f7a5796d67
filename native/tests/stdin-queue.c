/* stdin-queue: checks the guest init's stdin queue (init/stdin_queue.c) and its refill pacing
 * (init/stdin_pace.c) against a real pipe, and prints one line per check that held; the first
 * that fails is printed and ends the program with status 1. Run by
 * test/unit/drivers/guest-stdin-queue.test.ts. A test program: not installed. */
#include "../init/init.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(what, cond)                                                                                    \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			printf("FAILED: %s (line %d: %s)\n", what, __LINE__, #cond);                         \
			exit(1);                                                                             \
		}                                                                                            \
	} while (0)

/* Byte i of the test stream. */
static uint8_t at(size_t i)
{
	return (uint8_t)(i * 131 + i / 4096);
}

static struct chunk *filled(size_t from, size_t len)
{
	struct chunk *c = chunk_get();
	CHECK("a chunk", c != NULL);
	for (size_t i = 0; i < len; i++)
		c->data[i] = at(from + i);
	c->end = len;
	return c;
}

static void order_and_short_writes(void)
{
	struct stdin_queue q = {0};
	int p[2];
	CHECK("a pipe", pipe2(p, O_NONBLOCK) == 0);
	size_t pipe_size = (size_t)fcntl(p[1], F_GETPIPE_SZ);
	/* A bulk file, inline bytes after it (they fill its chunk, then a new one), another file. */
	size_t a = 700 * 1024, b = 600 * 1024, c = BULK_CHUNK, total = a + b + c;
	squeue_push(&q, filled(0, a));
	uint8_t *inline_bytes = malloc(b);
	for (size_t i = 0; i < b; i++)
		inline_bytes[i] = at(a + i);
	CHECK("an append", squeue_append(&q, inline_bytes, b) == 0);
	squeue_push(&q, filled(a + b, c));
	CHECK("the queue counts every byte", q.bytes == total);

	ssize_t n = squeue_write(&q, p[1]);
	CHECK("one call fills the pipe and stops at the short write", n > 0 && (size_t)n <= pipe_size);
	CHECK("a full pipe takes nothing, without an error", squeue_write(&q, p[1]) == 0);
	printf("ok: a write stops when the pipe is full\n");

	size_t read_so_far = 0, written = (size_t)n;
	uint8_t *buf = malloc(pipe_size);
	while (read_so_far < total) {
		ssize_t r = read(p[0], buf, pipe_size);
		CHECK("the pipe gives bytes", r > 0);
		for (ssize_t i = 0; i < r; i++)
			CHECK("bytes come out in order", buf[i] == at(read_so_far + (size_t)i));
		read_so_far += (size_t)r;
		n = squeue_write(&q, p[1]);
		CHECK("writes go on", n >= 0);
		written += (size_t)n;
		CHECK("the count follows the writes", q.bytes == total - written);
	}
	CHECK("everything was written once", written == total && q.bytes == 0 && !q.head && !q.tail);
	printf("ok: bulk chunks and appended bytes come out in the order queued\n");
	CHECK("done chunks are kept as spares, at most 4", chunk_spares() >= 1 && chunk_spares() <= 4);
	printf("ok: spare chunks are bounded\n");

	/* The reader goes: -1 and EPIPE, and clear drops the rest. */
	CHECK("an append", squeue_append(&q, inline_bytes, 100) == 0);
	close(p[0]);
	errno = 0;
	CHECK("a gone reader is an error", squeue_write(&q, p[1]) == -1 && errno == EPIPE);
	squeue_clear(&q);
	CHECK("clear empties the queue", q.bytes == 0 && !q.head && !q.tail);
	printf("ok: a gone reader is reported and the queue dropped\n");
	close(p[1]);
	free(buf);
	free(inline_bytes);
}

static void empty_chunk(void)
{
	struct stdin_queue q = {0};
	int before = chunk_spares();
	struct chunk *c = chunk_get();
	squeue_push(&q, c);
	CHECK("an empty chunk is not queued", q.bytes == 0 && !q.head);
	CHECK("an empty chunk goes back to the spares", chunk_spares() == (before < 4 ? before : 4));
	printf("ok: an empty bulk file queues nothing\n");
}

static void pacing(void)
{
	const size_t M = BULK_CHUNK;
	CHECK("a slow reader: the wait doubles", stdin_next_defer_ms(2, 130 * 1024, M) == 4);
	CHECK("up to the most", stdin_next_defer_ms(8, 100 * 1024, M) == STDIN_DEFER_MAX_MS);
	CHECK("half drained: the wait stays", stdin_next_defer_ms(8, 520 * 1024, M) == 8);
	CHECK("a fast reader: the wait halves", stdin_next_defer_ms(8, 900 * 1024, M) == 4);
	CHECK("down to the least", stdin_next_defer_ms(1, M, M) == STDIN_DEFER_MIN_MS);
	CHECK("an unset wait starts at the least", stdin_next_defer_ms(0, 0, M) == STDIN_DEFER_MIN_MS);
	printf("ok: the refill wait follows the reader's pace\n");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	order_and_short_writes();
	empty_chunk();
	pacing();
	return 0;
}
