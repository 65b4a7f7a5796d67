/* Small helpers: one-line fatal errors on the console, full writes, mkdir -p, a sysfs lookup. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>
#include "init.h"

void say(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	write_all(2, "berth-init: ", 12);
	write_all(2, buf, (size_t)n);
}

void require_guest_pid1(void)
{
	if (getpid() != 1)
		_exit(1);
}

/* PID 1 must not exit (the kernel panics): say why on the console and power off. */
void die(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	say("fatal: %s", buf);
	require_guest_pid1();
	sync();
	reboot(RB_POWER_OFF);
	_exit(1);
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct timespec ts = {0, 1000000};
				nanosleep(&ts, NULL);
				continue;
			}
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int mkdir_p(const char *path, mode_t mode)
{
	char tmp[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, path, n + 1);
	for (char *s = tmp + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -1;
	int r = write_all(fd, text, strlen(text));
	close(fd);
	return r;
}

int sysfs_find(const char *class_dir, const char *attr, const char *want, char *dev, size_t devlen)
{
	DIR *d = opendir(class_dir);
	if (!d)
		return -1;
	int found = -1;
	for (struct dirent *e; found < 0 && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char path[300], got[128];
		snprintf(path, sizeof path, "%s/%s/%s", class_dir, e->d_name, attr);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, got, sizeof got - 1);
		close(fd);
		if (n <= 0)
			continue;
		got[n] = 0;
		got[strcspn(got, "\n")] = 0;
		if (!strcmp(got, want)) {
			snprintf(dev, devlen, "/dev/%s", e->d_name);
			found = 0;
		}
	}
	closedir(d);
	return found;
}
