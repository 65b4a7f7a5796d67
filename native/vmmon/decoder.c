/* decoder.c: whole frames out of a byte stream (FrameDecoder in guest-protocol.ts). The buffer
 * is given back once empty when it grew past 64 KiB: an idle monitor stays small. A partial frame
 * stays where it is until the room at the end runs out: moving it after every read copied a
 * client's 64 KiB frames once more each (reads and frames are rarely aligned). */
#include "vmmon.h"

#include <stdlib.h>
#include <string.h>

char *decoder_space(struct decoder *d, size_t n)
{
	if (d->cap - d->len < n && d->start > 0) {
		memmove(d->buf, d->buf + d->start, d->len - d->start);
		d->len -= d->start;
		d->start = 0;
	}
	if (d->cap - d->len < n) {
		/* Holding a partial frame: room for several reads, so that it moves rarely. */
		size_t cap = d->cap ? d->cap : 4096, least = d->len > 0 ? 8 * n : n;
		while (cap - d->len < n || cap < least)
			cap *= 2;
		char *b = realloc(d->buf, cap);
		if (!b)
			die("out of memory");
		d->buf = b;
		d->cap = cap;
	}
	return d->buf + d->len;
}

static uint32_t u32le(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

int decoder_feed(struct decoder *d, size_t got, void (*on)(void *ctx, struct frame *f), void *ctx)
{
	d->len += got;
	while (d->len - d->start >= HDR_LEN) {
		const char *at = d->buf + d->start;
		uint32_t len = u32le(at + 5);
		struct frame f;
		if (len > MAX_PAYLOAD)
			return -1;
		if (d->len - d->start < HDR_LEN + len)
			break;
		f.type = (uint8_t)at[0];
		f.session = u32le(at + 1);
		f.len = len;
		f.payload = d->buf + d->start + HDR_LEN;
		d->start += HDR_LEN + len;
		on(ctx, &f);
	}
	if (d->start == d->len)
		d->start = d->len = 0;
	if (d->len == 0 && d->cap > 65536)
		decoder_free(d);
	return 0;
}

void decoder_free(struct decoder *d)
{
	free(d->buf);
	d->buf = NULL;
	d->start = d->len = d->cap = 0;
}
