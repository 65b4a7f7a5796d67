/*
 * The bulk channel: bytes in bulk beside the control line, each piece named by a small frame on
 * it. The line keeps the order of everything and carries what is small.
 * - uml (ADR 0053): a session's stdin and output in files of a host directory the guest reaches
 *   through hostfs (`berth.bulk=HOSTDIR`). The directory is mounted at a private staging point,
 *   opened, and detached again: only PID 1 holds it.
 * - microvm (ADR 0084): a session's stdin in 1 MiB slots of a read-only virtio-blk disk whose
 *   serial is berth.bulk, read with O_DIRECT (one request per slot, no page cache to go stale).
 *   Its device node is removed once opened: only PID 1 holds it. Output stays on the line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>
#include "init.h"

static int bulk_dir = -1;
static int bulk_disk = -1;
static uint32_t out_seq;

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The disk whose serial is berth.bulk, opened; its /dev node removed. */
static void disk_setup(void)
{
	char dev[300];
	if (sysfs_find("/sys/block", "serial", BULK_DISK_SERIAL, dev, sizeof dev) < 0)
		return;
	bulk_disk = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (bulk_disk < 0)
		say("bulk channel: open %s: %s (data goes over the control line)", dev, strerror(errno));
	else
		unlink(dev);
}

void bulk_setup(void)
{
	char host[512];
	if (!cmdline_value("berth.bulk=", host, sizeof host) || host[0] != '/')
		return disk_setup();
	char stage[] = "/dev/.berth-bulk-XXXXXX";
	if (!mkdtemp(stage)) {
		say("bulk channel: staging directory: %s (data goes over the control line)", strerror(errno));
		return;
	}
	if (mount("none", stage, "hostfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, host) < 0)
		say("bulk channel: mount hostfs %s: %s (data goes over the control line)", host,
		    strerror(errno));
	else {
		bulk_dir = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		umount2(stage, MNT_DETACH);
	}
	rmdir(stage);
}

void bulk_announce(void)
{
	if (bulk_dir >= 0 || bulk_disk >= 0)
		ctl_send(F_BULK_READY, 0, NULL, 0);
}

int bulk_out_ready(void)
{
	return bulk_dir >= 0;
}

/* Slot SEQ of the disk, SIZE bytes of it, into C (whole sectors: O_DIRECT). */
static ssize_t read_slot(struct chunk *c, uint32_t seq, uint32_t size)
{
	size_t want = (size + CHUNK_ALIGN - 1) & ~(size_t)(CHUNK_ALIGN - 1), got = 0;
	off_t at = (off_t)seq * BULK_CHUNK;
	while (got < want) {
		ssize_t n = pread(bulk_disk, c->data + got, want - got, at + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got >= size ? (ssize_t)size : (ssize_t)got;
}

/* The file i<SEQ> of the directory, SIZE bytes of it, into C (none: NULL); the file is removed. */
static ssize_t read_file(struct chunk *c, uint32_t seq, uint32_t size)
{
	char name[16];
	snprintf(name, sizeof name, "i%u", seq);
	int fd = c ? openat(bulk_dir, name, O_RDONLY | O_CLOEXEC) : -1;
	ssize_t got = 0;
	if (fd >= 0) {
		while ((size_t)got < size) {
			ssize_t n = read(fd, c->data + got, size - (size_t)got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += n;
		}
		close(fd);
	}
	unlinkat(bulk_dir, name, 0);
	return got;
}

void bulk_in_done(uint32_t session, uint32_t seq)
{
	uint8_t p[4];
	put32(p, seq);
	ctl_send(F_BULK_DONE, session, p, 4);
}

/* BULK_IN: u32 seq, u32 length; the bytes are the file i<seq> (taken and removed here) or the
 * disk's slot seq. They are read straight into a chunk of the session's stdin queue
 * (stdin_queue.c). */
void bulk_in(uint32_t session, const uint8_t *p, uint32_t len)
{
	if (len < 8 || (bulk_dir < 0 && bulk_disk < 0))
		return;
	uint32_t seq = get32(p), size = get32(p + 4);
	struct chunk *c = size <= BULK_CHUNK ? chunk_get() : NULL;
	ssize_t got = 0;
	errno = 0;
	if (bulk_dir >= 0)
		got = read_file(c, seq, size);
	else if (c)
		got = read_slot(c, seq, size);
	if ((size_t)got != size) {
		/* A stream with a hole must not look whole: the session's process is killed. */
		const char *why = !c ? "no memory for it" : errno ? strerror(errno) : "short";
		say("bulk channel: %s %u: %u of %u bytes: %s", bulk_dir >= 0 ? "file" : "slot", seq,
		    (unsigned)got, size, why);
		if (c)
			chunk_put(c);
		session_input_lost(session);
		bulk_in_done(session, seq);
	} else {
		c->end = (size_t)got;
		session_stdin_bulk(session, c, seq);
	}
}

/* Output of LEN bytes as the file o<seq> and a BULK_OUT frame: u8 type, u32 seq, u32 length.
 * 1, or 0 when the file could not be written (the caller sends the bytes on the line). */
int bulk_out(uint32_t session, uint8_t type, const uint8_t *buf, size_t len)
{
	if (bulk_dir < 0)
		return 0;
	uint32_t seq = ++out_seq;
	char name[16];
	snprintf(name, sizeof name, "o%u", seq);
	int fd = openat(bulk_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return 0;
	int bad = write_all(fd, buf, len) < 0;
	if (close(fd) < 0 || bad) {
		unlinkat(bulk_dir, name, 0);
		return 0;
	}
	uint8_t p[9];
	p[0] = type;
	put32(p + 1, seq);
	put32(p + 5, (uint32_t)len);
	ctl_send(F_BULK_OUT, session, p, sizeof p);
	return 1;
}
