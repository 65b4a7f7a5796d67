/*
 * IDENTITY (docs/guest-protocol.md): a guest resumed from a template's saved state is a copy of
 * every other clone. Before anything else runs in it, the host sends what must differ: the
 * hostname, the host's clock, and seed bytes for the kernel's random number generator, which
 * is then forced to reseed (a resumed CRNG would otherwise give every clone the same bytes).
 */
#include <errno.h>
#include <linux/random.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>
#include "init.h"

#define MAX_SEED 256

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Mixes SEED (hex) into the input pool, credited, and reseeds the CRNG from it. */
static const char *reseed(const char *hex)
{
	size_t n = strlen(hex) / 2;
	if (n == 0 || n > MAX_SEED || strlen(hex) % 2)
		return "seed: not 1 to 256 bytes of hex";
	struct {
		struct rand_pool_info info;
		unsigned char bytes[MAX_SEED];
	} req;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return "seed: not hex";
		req.bytes[i] = (unsigned char)(hi << 4 | lo);
	}
	req.info.entropy_count = (int)(n * 8);
	req.info.buf_size = (int)n;
	int fd = open("/dev/urandom", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return "open /dev/urandom failed";
	const char *err = NULL;
	if (ioctl(fd, RNDADDENTROPY, &req) < 0)
		err = "RNDADDENTROPY failed";
	else if (ioctl(fd, RNDRESEEDCRNG) < 0)
		err = "RNDRESEEDCRNG failed";
	close(fd);
	explicit_bzero(&req, sizeof req);
	return err;
}

/* "SEC.NSEC" since the epoch: the guest clock is stepped to it. */
static const char *step_clock(const char *text)
{
	char *end;
	struct timespec ts = {0};
	ts.tv_sec = (time_t)strtoll(text, &end, 10);
	if (*end == '.')
		ts.tv_nsec = strtol(end + 1, &end, 10);
	if (*end || ts.tv_sec <= 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
		return "time: not SEC.NSEC";
	return clock_settime(CLOCK_REALTIME, &ts) < 0 ? "clock_settime failed" : NULL;
}

/* Payload: key NUL value NUL pairs: hostname, time, seed, and on a bridge network net
 * (ADDR/PREFIX,GATEWAY,DNS,MTU) and mac. 0, or what failed (the host reports it). */
const char *identity_apply(const uint8_t *p, uint32_t len)
{
	const char *hostname = NULL, *time_text = NULL, *seed = NULL, *net = NULL, *mac = NULL;
	uint32_t off = 0;
	while (off < len) {
		const char *k = (const char *)p + off;
		const void *kend = memchr(k, 0, len - off);
		if (!kend)
			return "malformed IDENTITY";
		off += (uint32_t)((const char *)kend - k) + 1;
		const char *v = (const char *)p + off;
		const void *vend = off < len ? memchr(v, 0, len - off) : NULL;
		if (!vend)
			return "malformed IDENTITY";
		off += (uint32_t)((const char *)vend - v) + 1;
		if (!strcmp(k, "hostname"))
			hostname = v;
		else if (!strcmp(k, "time"))
			time_text = v;
		else if (!strcmp(k, "seed"))
			seed = v;
		else if (!strcmp(k, "net"))
			net = v;
		else if (!strcmp(k, "mac"))
			mac = v;
	}
	const char *err = seed ? reseed(seed) : "IDENTITY without a seed";
	if (!err && time_text)
		err = step_clock(time_text);
	if (!err && hostname) {
		if (strlen(hostname) > 64)
			return "hostname: longer than 64";
		set_hostname(hostname);
	}
	/* A bridge network: the clone's own MAC and leased address, not the template's. */
	if (!err && net)
		err = renew_network(net, mac);
	return err;
}
