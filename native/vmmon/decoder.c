/* decoder.c: whole frames out of a byte stream (FrameDecoder in guest-protocol.ts). The buffer
 * is given back once empty when it grew past 64 KiB: an idle monitor stays small. */
#include "vmmon.h"

#include <stdlib.h>
#include <string.h>

char *decoder_space(struct decoder *d, size_t n)
{
	if (d->cap - d->len < n) {
		size_t cap = d->cap ? d->cap : 4096;
		while (cap - d->len < n)
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
	size_t off = 0;

	d->len += got;
	while (d->len - off >= HDR_LEN) {
		uint32_t len = u32le(d->buf + off + 5);
		struct frame f;
		if (len > MAX_PAYLOAD)
			return -1;
		if (d->len - off < HDR_LEN + len)
			break;
		f.type = (uint8_t)d->buf[off];
		f.session = u32le(d->buf + off + 1);
		f.len = len;
		f.payload = d->buf + off + HDR_LEN;
		off += HDR_LEN + len;
		on(ctx, &f);
	}
	if (off) {
		memmove(d->buf, d->buf + off, d->len - off);
		d->len -= off;
	}
	if (d->len == 0 && d->cap > 65536)
		decoder_free(d);
	return 0;
}

void decoder_free(struct decoder *d)
{
	free(d->buf);
	d->buf = NULL;
	d->len = d->cap = 0;
}
