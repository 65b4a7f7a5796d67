/* util.c: what both host helpers share: die(), robust writes, atomic files, time. */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void (*die_hook)(const char *msg);

void set_die_hook(void (*hook)(const char *msg))
{
	die_hook = hook;
}

static void __attribute__((noreturn)) vdie(int err, const char *fix, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t n;

	vsnprintf(msg, sizeof msg, fmt, ap);
	n = strlen(msg);
	if (err)
		snprintf(msg + n, sizeof msg - n, ": %s", strerror(err));
	n = strlen(msg);
	if (fix)
		snprintf(msg + n, sizeof msg - n, " (%s)", fix);
	for (char *p = msg; *p; p++) /* one line, always */
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (die_hook) {
		void (*hook)(const char *) = die_hook;
		die_hook = NULL;
		hook(msg);
	}
	dprintf(2, "berth: %s\n", msg);
	exit(125);
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vdie(0, NULL, fmt, ap);
}

void die_errno(const char *fix, const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	vdie(err, fix, fmt, ap);
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) { /* non-blocking fd inherited */
				struct pollfd pfd = {.fd = fd, .events = POLLOUT};
				poll(&pfd, 1, -1);
				continue;
			}
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char sec[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(sec, sizeof sec, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", sec, ts.tv_nsec);
}

/* Field 22 of /proc/PID/stat: start time in clock ticks since boot. */
unsigned long long proc_starttime(pid_t pid)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno(NULL, "open %s", path);
	n = read(fd, buf, sizeof buf - 1);
	if (n < 0)
		die_errno(NULL, "read %s", path);
	close(fd);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* comm may contain spaces and ')' */
	if (!p)
		die("cannot parse %s", path);
	p += 2; /* now at field 3 */
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			die("cannot parse %s", path);
		p++;
	}
	return strtoull(p, NULL, 10);
}

int state_files_durable = 1;

void write_file_atomic(const char *dir, const char *name, const char *data)
{
	char tmp[4096], dst[4096];
	int fd;

	if (snprintf(dst, sizeof dst, "%s/%s", dir, name) >= (int)sizeof dst ||
	    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name) >= (int)sizeof tmp)
		die("state path too long: %s", dir);
	/* No O_TRUNC: a temp file reserved earlier (reserve_file_atomic) is
	 * overwritten in place, which needs no new space on a full disk. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		die_errno("does --state-dir exist?", "create %s", tmp);
	if (write_all(fd, data, strlen(data)) < 0 || ftruncate(fd, (off_t)strlen(data)) < 0 ||
	    (state_files_durable && fsync(fd) < 0))
		die_errno(NULL, "write %s", tmp);
	close(fd);
	if (rename(tmp, dst) < 0)
		die_errno(NULL, "rename %s to %s", tmp, dst);
}

void reserve_file_atomic(const char *dir, const char *name, size_t bytes)
{
	char tmp[4096], zero[4096] = {0};
	int fd;

	if (bytes > sizeof zero || snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name) >= (int)sizeof tmp)
		return;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (write_all(fd, zero, bytes) < 0)
		unlink(tmp); /* already full: the later write may still fit */
	close(fd);
}

void json_escape(char *out, size_t outlen, const char *in)
{
	size_t o = 0;

	for (; *in && o + 7 < outlen; in++) {
		unsigned char c = (unsigned char)*in;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, outlen - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
}
