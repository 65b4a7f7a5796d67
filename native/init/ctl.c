/* The control channel carrying frames: a tty in raw mode (a uml ssl line) or a virtio-serial
 * port found by its name (microvm's berth.ctl), which has flow control of its own and so needs no ACKs. */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "init.h"

static int ctl_fd = -1;
static uint8_t rbuf[HDR_LEN + MAX_PAYLOAD];
static size_t rlen;
#define ACK_STEP 1024u
static uint32_t unacked;
/* The channel is a tty: the host keeps a window, which the init's ACKs open again. */
static int ctl_tty;

/* The device of the virtio-serial port the host named NAME (/sys/class/virtio-ports/X/name): its
 * number depends on the order the virtio devices were found in, its name does not. 0 if found. */
static int find_port(const char *name, char *dev, size_t devlen)
{
	return sysfs_find("/sys/class/virtio-ports", "name", name, dev, devlen);
}

int ctl_open(const char *spec)
{
	/* A path (a tty), or the name of a virtio-serial port, which appears once the host has
	 * announced it, a moment after its driver loads. */
	char dev[300];
	int fd = -1;
	for (int tries = 0;; tries++) {
		if (spec[0] == '/')
			snprintf(dev, sizeof dev, "%s", spec);
		else if (find_port(spec, dev, sizeof dev) < 0)
			snprintf(dev, sizeof dev, "(virtio-serial port %s)", spec);
		if (dev[0] == '/' && (fd = open(dev, O_RDWR | O_NOCTTY | O_CLOEXEC)) >= 0)
			break;
		if (tries >= 500 || (dev[0] == '/' && errno != ENOENT))
			die("open the control channel %s: %s", dev,
			    dev[0] == '/' ? strerror(errno) : "not found");
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	struct termios t;
	if (tcgetattr(fd, &t) == 0) {
		ctl_tty = 1;
		cfmakeraw(&t);
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		if (tcsetattr(fd, TCSANOW, &t) < 0)
			die("raw mode on %s: %s", dev, strerror(errno));
	}
	ctl_fd = fd;
	return fd;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Frames up to this size go in one write (each write to a uml serial line is a host write of its
 * own, and a guest system call: slow under uml); larger ones as header, then payload. */
#define ONE_WRITE 1024u

void ctl_send(uint8_t type, uint32_t session, const void *payload, uint32_t len)
{
	uint8_t frame[HDR_LEN + ONE_WRITE];
	frame[0] = type;
	put32(frame + 1, session);
	put32(frame + 5, len);
	int r;
	if (len <= ONE_WRITE) {
		if (len)
			memcpy(frame + HDR_LEN, payload, len);
		r = write_all(ctl_fd, frame, HDR_LEN + len);
	} else {
		r = write_all(ctl_fd, frame, HDR_LEN) < 0 ? -1 : write_all(ctl_fd, payload, len);
	}
	if (r < 0)
		die("write to the control channel: %s", strerror(errno));
}

void ctl_ack_all(void)
{
	uint8_t ack[4];
	put32(ack, unacked);
	ctl_send(F_ACK, 0, ack, 4);
	unacked = 0;
}

int ctl_pump(int fd, void (*on_frame)(uint8_t, uint32_t, const uint8_t *, uint32_t))
{
	ssize_t n = read(fd, rbuf + rlen, sizeof rbuf - rlen);
	if (n < 0)
		return (errno == EINTR || errno == EAGAIN) ? 0 : -1;
	if (n == 0)
		/* A virtio-serial port reads end-of-file while no host end is connected: not yet (a
		 * clone resumed from a template reconnects), or no more (the VM is being stopped). */
		return ctl_tty ? -1 : 1;
	/* Flow control: the host keeps at most 3 KiB unacknowledged in the line (a uml serial line
   * that the guest tty throttled never reads again), so say what was taken out of it, in
   * steps of ACK_STEP (below the host's window, so the host never waits for an ACK that is
   * not coming; each ACK costs a console write, slow under TCG). */
	unacked += (uint32_t)n;
	if (ctl_tty && unacked >= ACK_STEP) {
		uint8_t ack[4];
		put32(ack, unacked);
		ctl_send(F_ACK, 0, ack, 4);
		unacked = 0;
	}
	rlen += (size_t)n;
	size_t off = 0;
	while (rlen - off >= HDR_LEN) {
		uint32_t len = get32(rbuf + off + 5);
		if (len > MAX_PAYLOAD)
			die("control channel: frame of %u bytes exceeds the limit (protocol out of step)",
			    len);
		if (rlen - off < HDR_LEN + len)
			break;
		on_frame(rbuf[off], get32(rbuf + off + 1), rbuf + off + HDR_LEN, len);
		off += HDR_LEN + len;
	}
	memmove(rbuf, rbuf + off, rlen - off);
	rlen -= off;
	return 0;
}
