/* identity.c: IDENTITY for a clone resumed from a template (docs/templates.md): its hostname,
 * the host's clock and 64 fresh random bytes for the guest's entropy pool; on a bridge network
 * also its own lease and MAC (checked by the driver, vm-monitor-flat.ts). */
#include "vmmon.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

struct chunk *identity_frame(void)
{
	unsigned char seed[64];
	char payload[512], hex[129];
	struct timespec ts;
	size_t n = 0, got = 0;

	while (got < sizeof seed) {
		ssize_t r = getrandom(seed + got, sizeof seed - got, 0);
		if (r < 0)
			die_errno(NULL, "getrandom");
		got += (size_t)r;
	}
	for (size_t i = 0; i < sizeof seed; i++)
		snprintf(hex + 2 * i, 3, "%02x", seed[i]);
	clock_gettime(CLOCK_REALTIME, &ts);
	if (strlen(C.identity_hostname) > 64)
		die("bad hostname \"%s\"", C.identity_hostname);
#define PAIR(k, fmt, ...)                                                                                    \
	n += (size_t)snprintf(payload + n, sizeof payload - n, k "%c" fmt "%c", 0, __VA_ARGS__, 0)
	PAIR("hostname", "%s", C.identity_hostname);
	PAIR("time", "%lld.%09ld", (long long)ts.tv_sec, ts.tv_nsec);
	PAIR("seed", "%s", hex);
	if (C.identity_net && C.identity_mac) {
		PAIR("net", "%s", C.identity_net);
		PAIR("mac", "%s", C.identity_mac);
	}
#undef PAIR
	return frame_new(F_IDENTITY, 0, payload, n);
}
