/* The control channel: a tty (uml ssl line, virtio console) in raw mode carrying frames. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "init.h"

static int ctl_fd = -1;
static uint8_t rbuf[HDR_LEN + MAX_PAYLOAD];
static size_t rlen;
#define ACK_STEP 1024u
static uint32_t unacked;

int ctl_open(const char *dev)
{
	int fd = open(dev, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		die("open the control channel %s: %s", dev, strerror(errno));
	struct termios t;
	if (tcgetattr(fd, &t) == 0) {
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

void ctl_send(uint8_t type, uint32_t session, const void *payload, uint32_t len)
{
	uint8_t hdr[HDR_LEN];
	hdr[0] = type;
	put32(hdr + 1, session);
	put32(hdr + 5, len);
	if (write_all(ctl_fd, hdr, HDR_LEN) < 0 || (len && write_all(ctl_fd, payload, len) < 0)) {
		die("write to the control channel: %s", strerror(errno));
	}
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
		return -1;
	/* Flow control: the host keeps at most 3 KiB unacknowledged in the line (a uml serial line
   * that the guest tty throttled never reads again), so say what was taken out of it, in
   * steps of ACK_STEP (below the host's window, so the host never waits for an ACK that is
   * not coming; each ACK costs a console write, slow under TCG). */
	unacked += (uint32_t)n;
	if (unacked >= ACK_STEP) {
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
