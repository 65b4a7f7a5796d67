/* config.c: monitor.cfg in the state dir, written by the driver (vm-monitor-flat.ts): key NUL
 * value NUL pairs; arg, env and exit_hook repeat in order; start is the command's START
 * payload in hex. An unknown key is an error: the driver and this file change together. */
#include "vmmon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct config C = {.ctl_fd = -1, .console_fd = -1, .log_max_files = 1};

static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0)
		die_errno("was the environment started by this berth?", "read %s", path);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		die("out of memory");
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die_errno(NULL, "read %s", path);
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}

static void push(char ***list, size_t *n, char *v)
{
	char **l = realloc(*list, (*n + 2) * sizeof **list);
	if (!l)
		die("out of memory");
	l[(*n)++] = v;
	l[*n] = NULL;
	*list = l;
}

static unsigned long long number(const char *k, const char *v)
{
	char *end;
	unsigned long long n;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *v == '\0' || *end != '\0')
		die("monitor.cfg: %s is not a number: %s", k, v);
	return n;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Hex to bytes, with a NUL after them (a sentinel: a malformed payload ends there). */
static char *unhex(const char *k, const char *v, size_t *len)
{
	size_t n = strlen(v);
	char *out;

	if (n % 2)
		die("monitor.cfg: %s is not hex", k);
	out = malloc(n / 2 + 1);
	if (!out)
		die("out of memory");
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
		if (hi < 0 || lo < 0)
			die("monitor.cfg: %s is not hex", k);
		out[i] = (char)(hi << 4 | lo);
	}
	out[n / 2] = '\0';
	*len = n / 2;
	return out;
}

static void *grow(void *p, size_t n, size_t size)
{
	p = realloc(p, (n + 1) * size);
	if (!p)
		die("out of memory");
	return p;
}

/* `relay`: "HOST_PORT HOST_ADDR START_HEX" */
static void relay(char *v)
{
	struct relay_port *r;
	char *addr = strchr(v, ' '), *hex = addr ? strchr(addr + 1, ' ') : NULL;

	if (!addr || !hex)
		die("monitor.cfg: malformed relay %s", v);
	*addr++ = '\0';
	*hex++ = '\0';
	C.relays = grow(C.relays, C.nrelays, sizeof *C.relays);
	r = &C.relays[C.nrelays++];
	r->port = (unsigned)number("relay", v);
	r->addr = addr;
	r->start = unhex("relay", hex, &r->start_len);
}

static struct helper *last_helper(const char *k)
{
	if (!C.nhelpers)
		die("monitor.cfg: %s before helper", k);
	return &C.helpers[C.nhelpers - 1];
}

void config_read(const char *state_dir)
{
	char path[4096];
	size_t len, nargv = 0, nenv = 0, nhook = 0, nhold = 0;
	char *buf;

	if (snprintf(path, sizeof path, "%s/monitor.cfg", state_dir) >= (int)sizeof path)
		die("state dir path too long: %s", state_dir);
	buf = slurp(path, &len);
	for (size_t at = 0; at < len;) {
		char *k = buf + at, *v;
		size_t kl = strnlen(k, len - at);
		if (at + kl + 1 >= len)
			die("monitor.cfg: key %s has no value", k);
		v = k + kl + 1;
		at += kl + 1 + strnlen(v, len - at - kl - 1) + 1;
		if (!strcmp(k, "state_dir"))
			C.state_dir = v;
		else if (!strcmp(k, "log_file"))
			C.log_file = v;
		else if (!strcmp(k, "console_log"))
			C.console_log = v;
		else if (!strcmp(k, "log_max_bytes"))
			C.log_max_bytes = number(k, v);
		else if (!strcmp(k, "log_max_files"))
			C.log_max_files = (unsigned)number(k, v);
		else if (!strcmp(k, "socket"))
			C.socket = v;
		else if (!strcmp(k, "attached"))
			C.attached = !strcmp(v, "1");
		else if (!strcmp(k, "owner_pid")) {
			C.owner_pid = (pid_t)number(k, v);
			C.has_owner = 1;
		} else if (!strcmp(k, "owner_start"))
			C.owner_start = number(k, v);
		else if (!strcmp(k, "exit_hook"))
			push(&C.exit_hook, &nhook, v);
		else if (!strcmp(k, "hold_port"))
			push(&C.hold_port, &nhold, v);
		else if (!strcmp(k, "boot_timeout_ms"))
			C.boot_timeout_ms = number(k, v);
		else if (!strcmp(k, "hold_after_exit"))
			C.hold_after_exit = !strcmp(v, "1");
		else if (!strcmp(k, "identity_hostname"))
			C.identity_hostname = v;
		else if (!strcmp(k, "identity_net"))
			C.identity_net = v;
		else if (!strcmp(k, "identity_mac"))
			C.identity_mac = v;
		else if (!strcmp(k, "bulk_dir"))
			C.bulk_dir = v;
		else if (!strcmp(k, "bulk_disk"))
			C.bulk_disk = v;
		else if (!strcmp(k, "what"))
			C.what = v;
		else if (!strcmp(k, "arg"))
			push(&C.argv, &nargv, v);
		else if (!strcmp(k, "env"))
			push(&C.env, &nenv, v);
		else if (!strcmp(k, "uid")) {
			C.uid = (uid_t)number(k, v);
			C.has_user = 1;
		} else if (!strcmp(k, "gid"))
			C.gid = (gid_t)number(k, v);
		else if (!strcmp(k, "cwd"))
			C.cwd = v;
		else if (!strcmp(k, "ctl_fd"))
			C.ctl_fd = (int)number(k, v);
		else if (!strcmp(k, "ctl_path"))
			C.ctl_path = v;
		else if (!strcmp(k, "ctl_flow"))
			C.ctl_acked = strcmp(v, "stream") != 0;
		else if (!strcmp(k, "console_fd"))
			C.console_fd = (int)number(k, v);
		else if (!strcmp(k, "start"))
			C.start = unhex(k, v, &C.start_len);
		else if (!strcmp(k, "helper")) {
			C.helpers = grow(C.helpers, C.nhelpers, sizeof *C.helpers);
			C.helpers[C.nhelpers++] = (struct helper){.what = v};
		} else if (!strcmp(k, "helper_socket"))
			last_helper(k)->socket = v;
		else if (!strcmp(k, "helper_arg")) {
			struct helper *h = last_helper(k);
			push(&h->argv, &h->argc, v);
		} else if (!strcmp(k, "helpers_needle"))
			C.helpers_needle = v;
		else if (!strcmp(k, "relay"))
			relay(v);
		else if (!strcmp(k, "hosts_file"))
			C.hosts_file = v;
		else if (!strcmp(k, "hosts_start"))
			C.hosts_start = unhex(k, v, &C.hosts_start_len);
		else
			die("monitor.cfg: unknown key %s (berth and berth-vmmon are from different builds)",
			    k);
	}
	if (!C.state_dir || !C.log_file || !C.console_log || !C.socket || !C.what || !nargv || !C.start ||
	    (C.ctl_fd < 0 && !C.ctl_path) || (C.hosts_file && !C.hosts_start))
		die("monitor.cfg: a required key is missing");
	for (size_t i = 0; i < C.nhelpers; i++)
		if (!C.helpers[i].socket || !C.helpers[i].argc)
			die("monitor.cfg: helper %s has no socket or argv", C.helpers[i].what);
}
