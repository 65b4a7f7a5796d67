/* hosts.c: peer names for a VM on a bridge network (vm-hosts-sync.ts). berth rewrites the
 * environment's host-side hosts file whenever a peer joins or leaves; this copies it into the
 * guest's /etc/hosts as an exec of `/proc/1/exe berth-hosts` with the file as its stdin: once
 * after READY (the command starts after it), then whenever the file's content changes (looked
 * at every 250 ms). One copy at a time; a failed one is a line in monitor.err. */
#include "vmmon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define POLL_MS 250
#define PUSH_TIMEOUT_MS 20000
#define MAX_HOSTS (1u << 20)

int hosts_copied;
static char *pushed, *sending;
static size_t pushed_len, sending_len;
static int started, busy;
static uint32_t g;
static long long next_look = -1, give_up_at;
static char err[512];
static size_t err_len;

/* The file's content (NULL: unreadable, e.g. removed with the environment). */
static char *read_hosts(size_t *len)
{
	char *buf = malloc(MAX_HOSTS);
	size_t got = 0;
	int fd = open(C.hosts_file, O_RDONLY | O_CLOEXEC);

	if (!buf)
		die("out of memory");
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, MAX_HOSTS - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return buf;
}

static void copied(void)
{
	if (hosts_copied)
		return;
	hosts_copied = 1;
	session_maybe_start_main();
}

/* Copies the file unless the guest has this content already. */
static void push(void)
{
	size_t len;
	char *text;

	if (busy || finished)
		return;
	text = read_hosts(&len);
	if (!text || (pushed && len == pushed_len && !memcmp(text, pushed, len))) {
		free(text);
		copied();
		return;
	}
	busy = 1;
	sending = text;
	sending_len = len;
	err_len = 0;
	give_up_at = now_ms() + PUSH_TIMEOUT_MS;
	g = execs_add(NULL, 0);
	gflow_send_frame(F_START, g, C.hosts_start, C.hosts_start_len);
	if (len)
		session_forward(F_STDIN, g, text, len);
	session_forward(F_STDIN, g, NULL, 0);
}

static void pushed_done(int ok, const char *why)
{
	if (ok) {
		free(pushed);
		pushed = sending;
		pushed_len = sending_len;
	} else {
		free(sending);
		dprintf(2, "hosts: updating /etc/hosts in the guest failed (%s): %.*s\n", why, (int)err_len,
			err);
	}
	sending = NULL;
	busy = 0;
	copied();
}

void hosts_on_ready(void)
{
	if (!C.hosts_file) {
		hosts_copied = 1;
		return;
	}
	if (started)
		return;
	started = 1;
	next_look = now_ms() + POLL_MS;
	push();
}

/* A frame of the copy's exec session. */
void hosts_frame(uint8_t type, const char *payload, size_t len)
{
	struct exit_info e;
	char why[32];

	if (type == F_STDERR || type == F_STDOUT) {
		size_t room = sizeof err - err_len;
		size_t n = len < room ? len : room;
		memcpy(err + err_len, payload, n);
		err_len += n;
		while (err_len && (err[err_len - 1] == '\n' || err[err_len - 1] == ' '))
			err_len--;
		return;
	}
	if (type != F_EXIT || !busy)
		return;
	decode_exit(payload, len, &e);
	snprintf(why, sizeof why, "exit %d", e.code);
	if (e.error[0] && !err_len) {
		err_len = strnlen(e.error, sizeof err);
		memcpy(err, e.error, err_len);
	}
	pushed_done(e.code == 0, why);
}

/* The exec ended without an EXIT of its own (the VM stopped, a restore). */
void hosts_ended(void)
{
	if (busy)
		pushed_done(0, "exit 137");
}

void hosts_timers(void)
{
	if (next_look >= 0 && !finished)
		timer_at(next_look);
	if (busy)
		timer_at(give_up_at);
}

void hosts_tick(void)
{
	static const char kill9[4] = {9, 0, 0, 0};
	long long now = now_ms();

	if (busy && now >= give_up_at) {
		execs_remove(g);
		gflow_send_frame(F_SIGNAL, g, kill9, 4);
		pushed_done(0, "timed out");
	}
	if (next_look >= 0 && now >= next_look) {
		next_look = now + POLL_MS;
		push();
	}
}
