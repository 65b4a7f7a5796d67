/* bulk-slots: drives berth-vmmon's bulk.c against a microvm's bulk channel disk (ADR 0084), a
 * real sparse file in a temporary directory, with the control line faked: the frames it would
 * send are recorded. Prints one "ok: ..." line per property, so that
 * test/unit/drivers/vmmon-bulk-slots checks them. A test program: not installed. */
#include "../vmmon/vmmon.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct config C;
int finished;

/* ---- the fakes: what bulk.c would send on the control line ---- */
struct sent {
	uint8_t type;
	uint32_t session, seq, size; /* seq and size: a BULK_IN's */
	size_t len;
};
static struct sent sent[64];
static int nsent;

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void gflow_send_frame(uint8_t type, uint32_t session, const void *payload, size_t len)
{
	struct sent s = {type, session, 0, 0, len};
	if (type == F_BULK_IN && len == 8) {
		s.seq = le32(payload);
		s.size = le32((const unsigned char *)payload + 4);
	}
	if (nsent < 64)
		sent[nsent++] = s;
}

void gflow_send_input(uint8_t type, uint32_t session, const void *payload, size_t len)
{
	gflow_send_frame(type, session, payload, len);
}

size_t gflow_pending(void)
{
	return 0;
}

long long now_ms(void)
{
	return 0;
}

void timer_at(long long when_ms)
{
	(void)when_ms;
}

int session_output(uint8_t type, uint32_t s, const char *data, size_t len, struct client **wait_on)
{
	(void)type, (void)s, (void)data, (void)len, (void)wait_on;
	return 1;
}

void outflow_take_later(struct client *c, uint32_t g)
{
	(void)c, (void)g;
}

void lifecycle_fail(const char *fmt, ...)
{
	(void)fmt;
}

/* ---- the checks ---- */
static int failed;

static void check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAILED", what);
	failed |= !ok;
}

/* LEN bytes of stdin for SESSION, each byte its offset's low bits plus the session. */
static void send_stdin(uint32_t session, size_t len)
{
	char *b = malloc(len);
	for (size_t i = 0; i < len; i++)
		b[i] = (char)(i * 7 + session);
	bulk_stdin(session, b, len);
	free(b);
	bulk_tick();
}

/* Slot N of the disk holds SESSION's stdin from its byte FROM on, LEN bytes. */
static int slot_holds(int fd, uint32_t n, uint32_t session, size_t from, size_t len)
{
	char *b = malloc(len);
	int ok = pread(fd, b, len, (off_t)n * BULK_CHUNK) == (ssize_t)len;
	for (size_t i = 0; ok && i < len; i++)
		ok = b[i] == (char)((from + i) * 7 + session);
	free(b);
	return ok;
}

static int slot_is_hole(int fd, uint32_t n)
{
	off_t data = lseek(fd, (off_t)n * BULK_CHUNK, SEEK_DATA);
	return data < 0 || data >= (off_t)(n + 1) * BULK_CHUNK;
}

static void done(uint32_t session, uint32_t seq)
{
	unsigned char p[4] = {(unsigned char)seq, (unsigned char)(seq >> 8), (unsigned char)(seq >> 16),
			      (unsigned char)(seq >> 24)};
	bulk_done(session, (const char *)p, 4);
}

int main(void)
{
	char dir[] = "/tmp/berth-bulk-slots-XXXXXX", path[64];
	if (!mkdtemp(dir))
		return perror("mkdtemp"), 1;
	snprintf(path, sizeof path, "%s/bulk.disk", dir);

	/* A disk of 3 slots, as makeBulkDisk makes one (32 in the product). */
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 3 * BULK_CHUNK) < 0)
		return perror(path), 1;
	C.bulk_disk = path;
	bulk_init();
	check(!bulk_active(), "the channel is idle until the guest says BULK_READY");
	bulk_ready();
	check(bulk_active(), "BULK_READY makes it active");

	/* Session 1: 2.5 MiB, in slots 0, 1 and 2 (the last one half full), each named by a BULK_IN. */
	send_stdin(1, 2 * BULK_CHUNK + BULK_CHUNK / 2);
	check(nsent == 3 && sent[0].type == F_BULK_IN && sent[0].seq == 0 && sent[0].size == BULK_CHUNK &&
		      sent[1].type == F_BULK_IN && sent[1].seq == 1 && sent[1].size == BULK_CHUNK &&
		      sent[2].type == F_BULK_IN && sent[2].seq == 2 && sent[2].size == BULK_CHUNK / 2,
	      "a session's stdin goes into free slots, named by BULK_IN (seq = slot)");
	check(slot_holds(fd, 0, 1, 0, BULK_CHUNK) && slot_holds(fd, 1, 1, BULK_CHUNK, BULK_CHUNK) &&
		      slot_holds(fd, 2, 1, 2 * BULK_CHUNK, BULK_CHUNK / 2),
	      "each slot holds its bytes at slot x 1 MiB");

	/* Every slot held: session 2's input goes on the line instead of waiting. */
	nsent = 0;
	send_stdin(2, BULK_CHUNK);
	check(nsent == 1 && sent[0].type == F_STDIN && sent[0].session == 2 && sent[0].len == BULK_CHUNK,
	      "with every slot held, input goes inline (a stalled session cannot block the rest)");

	/* DONE frees a slot and punches it out; one naming another session's slot is ignored. */
	done(2, 0);
	check(!slot_is_hole(fd, 0), "a DONE from another session frees nothing");
	done(1, 0);
	check(slot_is_hole(fd, 0), "a DONE frees its slot and punches it out of the file");
	nsent = 0;
	send_stdin(2, BULK_CHUNK);
	check(nsent == 1 && sent[0].type == F_BULK_IN && sent[0].seq == 0 &&
		      slot_holds(fd, 0, 2, 0, BULK_CHUNK),
	      "a freed slot is used again");

	/* A session's end frees what it held. */
	bulk_end(1);
	check(slot_is_hole(fd, 1) && slot_is_hole(fd, 2) && !slot_is_hole(fd, 0),
	      "a session's end frees its slots, not another's");
	bulk_end(2);
	struct stat st;
	check(fstat(fd, &st) == 0 && st.st_blocks == 0 && st.st_size == 3 * BULK_CHUNK,
	      "an idle channel holds no pages; the disk keeps its size");

	close(fd);
	unlink(path);
	rmdir(dir);
	return failed;
}
