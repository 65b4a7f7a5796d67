/* ctl.c: the guest's control channel: uml's serial line is the VM's fd N (a socketpair);
 * microvm's virtio-serial port is a unix socket QEMU listens on, connected to (every 20 ms
 * until the boot deadline) once QEMU made it. The first frame to a template clone is its
 * IDENTITY; what was sent before the channel was there follows. */
#include "vmmon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fd = -1;
static int connecting;
static long long retry_at, give_up_at;
static struct decoder dec;

int ctl_fd(void)
{
	return fd;
}

static void connected(int f)
{
	fd = f;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	if (C.identity_hostname)
		gflow_send_first(identity_frame());
	gflow_connected(fd, C.ctl_acked);
}

static void try_connect(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int s;

	if (strlen(C.ctl_path) >= sizeof a.sun_path)
		die("control socket path too long: %s", C.ctl_path);
	strcpy(a.sun_path, C.ctl_path);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die_errno(NULL, "socket");
	if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) {
		connecting = 0;
		connected(s);
		return;
	}
	close(s);
	retry_at = now_ms() + 20;
	if (retry_at > give_up_at || finished)
		connecting = 0;
}

void ctl_start(int f)
{
	if (f >= 0) {
		connected(f);
		return;
	}
	connecting = 1;
	give_up_at = now_ms() + (long long)C.boot_timeout_ms;
	try_connect();
}

void ctl_timers(void)
{
	if (connecting)
		timer_at(retry_at);
}

void ctl_tick(void)
{
	if (connecting && now_ms() >= retry_at)
		try_connect();
}

/* Returns the bytes read (0: nothing now, or the channel closed). */
static ssize_t read_once(void)
{
	char *space = decoder_space(&dec, 65536);
	ssize_t n = read(fd, space, 65536);

	if (n > 0) {
		if (decoder_feed(&dec, (size_t)n, guest_frame, NULL) < 0) {
			lifecycle_fail("control channel: frame of more than %u bytes (stream out of step)",
				       MAX_PAYLOAD);
			return 0;
		}
		return n;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	/* the VM's end closed: its exit says the rest */
	gflow_closed();
	close(fd);
	fd = -1;
	return 0;
}

void ctl_readable(void)
{
	if (fd >= 0)
		read_once();
}

void ctl_drain(void)
{
	while (fd >= 0 && read_once() > 0)
		;
}
