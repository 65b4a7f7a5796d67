/* bulk.c: the host end of the bulk channel (bulk-channel.ts, ADR 0053 and 0084). A session's stdin
 * is written into files i<seq> of the directory a uml guest shares, or into 1 MiB slots of the disk
 * a microvm guest reads (slot number = seq), at most BULK_IN_WINDOW a session the guest has not
 * passed on yet, each at most BULK_CHUNK, named by BULK_IN frames; small input goes on the line as
 * STDIN when the line is idle. Output files o<seq> the guest names by BULK_OUT (uml only) are read,
 * removed and passed on like a frame; TAKEN tells the guest it may write the next. */
#include "vmmon.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

struct input {
	struct input *next;
	uint32_t session;
	struct queue parts; /* raw bytes in chunks */
	int eof, eof_sent, files;
	long long due; /* a flush is scheduled for then; -1: none */
};

static int active;
static uint32_t seq;
static struct input *inputs;

/* microvm: the disk's fd, its slots, and the session (+1) that holds each one (0: free). */
#define MAX_SLOTS 64
static int disk_fd = -1;
static uint32_t nslots;
static uint64_t slot_holder[MAX_SLOTS];

void bulk_init(void)
{
	DIR *d;
	struct dirent *e;

	if (C.bulk_disk) {
		struct stat st;
		disk_fd = open(C.bulk_disk, O_RDWR | O_CLOEXEC);
		if (disk_fd >= 0 && fstat(disk_fd, &st) == 0) {
			uint64_t n = (uint64_t)st.st_size / BULK_CHUNK;
			nslots = n < MAX_SLOTS ? (uint32_t)n : MAX_SLOTS;
		}
		if (disk_fd < 0 || nslots == 0)
			dprintf(2, "bulk channel: %s: %s (data goes over the control line)\n", C.bulk_disk,
				disk_fd < 0 ? strerror(errno) : "too small");
		return;
	}
	if (!C.bulk_dir)
		return;
	/* What an earlier boot of this environment left behind. */
	d = opendir(C.bulk_dir);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_type == DT_REG)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

int bulk_active(void)
{
	return active;
}

void bulk_ready(void)
{
	if (C.bulk_dir || nslots > 0)
		active = 1;
}

static struct input *find(uint32_t session, int create)
{
	struct input *s;

	for (s = inputs; s; s = s->next)
		if (s->session == session)
			return s;
	if (!create)
		return NULL;
	s = calloc(1, sizeof *s);
	if (!s)
		die("out of memory");
	s->session = session;
	s->due = -1;
	s->next = inputs;
	inputs = s;
	return s;
}

static void schedule(struct input *s, int later)
{
	if (s->due >= 0)
		return;
	s->due = now_ms() + (later ? 1 : 0);
}

void bulk_stdin(uint32_t session, const char *data, size_t len)
{
	struct input *s = find(session, 1);

	if (len == 0)
		s->eof = 1;
	else {
		struct chunk *c = malloc(sizeof *c + len);
		if (!c)
			die("out of memory");
		c->len = len;
		c->off = 0;
		c->tagged = 0;
		memcpy(c->data, data, len);
		queue_push(&s->parts, c);
	}
	/* A burst of client reads becomes one file rather than many. */
	schedule(s, 0);
}

size_t bulk_held(uint32_t session)
{
	struct input *s = find(session, 0);
	return s ? s->parts.bytes : 0;
}

/* The first n held bytes (fewer if fewer are held), in one buffer. */
static char *take(struct input *s, size_t n, size_t *got)
{
	char *out = malloc(n ? n : 1);
	size_t at = 0;

	if (!out)
		die("out of memory");
	while (at < n && s->parts.head) {
		struct chunk *c = s->parts.head;
		size_t k = c->len - c->off;
		if (k > n - at)
			k = n - at;
		memcpy(out + at, c->data + c->off, k);
		c->off += k;
		at += k;
		s->parts.bytes -= k;
		if (c->off == c->len) {
			s->parts.head = c->next;
			if (!s->parts.head)
				s->parts.tail = NULL;
			free(c);
		}
	}
	*got = at;
	return out;
}

/* Drops the first n held bytes. */
static void consume(struct input *s, size_t n)
{
	while (n > 0 && s->parts.head) {
		struct chunk *c = s->parts.head;
		size_t k = c->len - c->off;
		if (k > n)
			k = n;
		c->off += k;
		n -= k;
		s->parts.bytes -= k;
		if (c->off == c->len) {
			s->parts.head = c->next;
			if (!s->parts.head)
				s->parts.tail = NULL;
			free(c);
		}
	}
}

/* Writes the first len held bytes at offset `at` of fd straight from the chunks (no copy in
 * between). -1: they could not be written (they are still held). */
static int write_held(struct input *s, int fd, off_t at, size_t len)
{
	size_t done = 0;

	while (done < len) {
		struct iovec iov[64];
		struct chunk *c = s->parts.head;
		size_t skip = done, want = 0;
		int k = 0;
		ssize_t w;
		/* The chunks from byte `done` on, up to len. */
		for (; c && skip >= c->len - c->off; c = c->next)
			skip -= c->len - c->off;
		for (; c && k < 64 && want < len - done; c = c->next, skip = 0) {
			size_t avail = c->len - c->off - skip,
			       take = avail < len - done - want ? avail : len - done - want;
			iov[k].iov_base = c->data + c->off + skip;
			iov[k++].iov_len = take;
			want += take;
		}
		w = pwritev(fd, iov, k, at + (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

/* The first len held bytes as the file i<n>. */
static int write_in_file(struct input *s, uint32_t n, size_t len)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof path, "%s/i%u", C.bulk_dir, n);
	/* 0644: root's kernel runs as a uid of its own (ADR 0046) and reads it through hostfs. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int bad = write_held(s, fd, 0, len) < 0;
	if (close(fd) < 0 || bad) {
		unlink(path);
		return -1;
	}
	return 0;
}

/* A freed slot's pages go back to the host (the disk is a sparse file on tmpfs, mostly). */
static void free_slot(uint32_t n)
{
	slot_holder[n] = 0;
	fallocate(disk_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)n * BULK_CHUNK, BULK_CHUNK);
}

/* The first len held bytes into a free slot of the disk, whose number goes in *n. -1: no slot is
 * free (every one is held by a session whose process has not taken it yet), or the write failed. */
static int write_in_slot(struct input *s, uint32_t *n, size_t len)
{
	for (uint32_t i = 0; i < nslots; i++)
		if (!slot_holder[i]) {
			if (write_held(s, disk_fd, (off_t)i * BULK_CHUNK, len) < 0)
				return -1;
			slot_holder[i] = (uint64_t)s->session + 1;
			*n = i;
			return 0;
		}
	return -1;
}

/* The first len held bytes into the next file or slot, named in *n; then dropped here. */
static int write_in(struct input *s, uint32_t *n, size_t len)
{
	int r;
	if (nslots > 0)
		r = write_in_slot(s, n, len);
	else {
		*n = ++seq;
		r = write_in_file(s, *n, len);
	}
	if (r == 0)
		consume(s, len);
	return r;
}

static void flush(struct input *s)
{
	while (s->parts.bytes > 0) {
		size_t size = s->parts.bytes, got;
		char *data, in[8];
		uint32_t n;
		if (size >= BULK_SMALL && s->files >= BULK_IN_WINDOW)
			break;
		if (size < BULK_SMALL && (s->files > 0 || gflow_pending() > 0)) {
			/* Small, and the line or the files are busy: wait for more (or for them). */
			if (s->files == 0)
				schedule(s, 1);
			break;
		}
		if (size < BULK_SMALL) {
			data = take(s, size, &got);
			gflow_send_input(F_STDIN, s->session, data, got);
			free(data);
			continue;
		}
		got = size < BULK_CHUNK ? size : BULK_CHUNK;
		if (write_in(s, &n, got) < 0) {
			/* The directory is gone or full, or no slot is free: the line still carries it, slowly. */
			data = take(s, got, &got);
			gflow_send_input(F_STDIN, s->session, data, got);
			free(data);
			continue;
		}
		s->files++;
		for (int i = 0; i < 4; i++) {
			in[i] = (char)(n >> (8 * i));
			in[4 + i] = (char)((uint32_t)got >> (8 * i));
		}
		gflow_send_frame(F_BULK_IN, s->session, in, 8);
	}
	if (s->parts.bytes == 0 && s->eof && !s->eof_sent) {
		s->eof_sent = 1;
		gflow_send_input(F_STDIN, s->session, NULL, 0);
	}
}

static uint32_t u32le(const char *p);

/* BULK_DONE: u32 seq. A slot is free again once its session's process has been given it. */
void bulk_done(uint32_t session, const char *payload, size_t len)
{
	struct input *s = find(session, 0);

	if (len >= 4 && nslots > 0) {
		uint32_t n = u32le(payload);
		if (n < nslots && slot_holder[n] == (uint64_t)session + 1)
			free_slot(n);
	}
	if (!s)
		return;
	if (s->files > 0)
		s->files--;
	flush(s);
}

void bulk_taken(uint32_t session)
{
	gflow_send_frame(F_BULK_TAKEN, session, NULL, 0);
}

static uint32_t u32le(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

/* Reads o<seq> whole (it must hold len bytes) and removes it. NULL: a hole (why in err). */
static char *read_out_file(uint32_t n, uint32_t len, char *err, size_t errlen)
{
	char path[4096], *buf;
	size_t got = 0;
	struct stat st;
	int fd;

	snprintf(path, sizeof path, "%s/o%u", C.bulk_dir, n);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		return NULL;
	}
	buf = NULL;
	if (fstat(fd, &st) == 0 && (uint64_t)st.st_size == len && (buf = malloc(len ? len : 1))) {
		while (got < len) {
			ssize_t r = read(fd, buf + got, len - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
		}
	}
	close(fd);
	unlink(path);
	if (!buf || got != len) {
		snprintf(err, errlen, "%llu of %u bytes",
			 buf ? (unsigned long long)got : (unsigned long long)st.st_size, len);
		free(buf);
		return NULL;
	}
	return buf;
}

void bulk_out(uint32_t session, const char *payload, size_t len)
{
	static const char kill9[4] = {9, 0, 0, 0};
	char err[4200], *data;
	uint8_t type;
	uint32_t n, size;
	struct client *wait_on;

	if (!C.bulk_dir)
		return;
	if (len < 9) {
		lifecycle_fail("control channel: bulk OUT frame of %zu bytes (needs 9)", len);
		return;
	}
	type = (uint8_t)payload[0] == F_STDERR ? F_STDERR : F_STDOUT;
	n = u32le(payload + 1);
	size = u32le(payload + 5);
	data = read_out_file(n, size, err, sizeof err);
	if (!data) {
		/* A stream with a hole must not look whole: the session's process is killed. */
		dprintf(2, "bulk channel: session %u: %s\n", session, err);
		gflow_send_frame(F_SIGNAL, session, kill9, 4);
		bulk_taken(session);
		return;
	}
	if (session_output(type, session, data, size, &wait_on)) {
		if (!finished)
			bulk_taken(session);
	} else
		outflow_take_later(wait_on, session);
	free(data);
}

void bulk_end(uint32_t session)
{
	struct input **p = &inputs;

	while (*p) {
		struct input *s = *p;
		if (s->session != session) {
			p = &s->next;
			continue;
		}
		*p = s->next;
		/* Its slots may be written again: the guest reads a slot when it handles the BULK_IN, in
		 * the order sent, so a frame of this session still on its way reads it before any later
		 * frame that names it again, and only for a session that is gone (whose DONE is ignored,
		 * since the slot is no longer its). */
		for (uint32_t i = 0; i < nslots; i++)
			if (slot_holder[i] == (uint64_t)session + 1)
				free_slot(i);
		queue_clear(&s->parts);
		free(s);
		memory_settle();
		return;
	}
}

void bulk_timers(void)
{
	for (struct input *s = inputs; s; s = s->next)
		if (s->due >= 0)
			timer_at(s->due);
}

void bulk_tick(void)
{
	long long now = now_ms();

	for (struct input *s = inputs; s; s = s->next)
		if (s->due >= 0 && s->due <= now) {
			s->due = -1;
			flush(s);
		}
}
