/* logrotate.c: --log-max-size / --log-max-files. When the next record would
 * make the log exceed the cap, the files shift (LOG.1 -> LOG.2 ... up to
 * LOG.(N-1), the oldest is dropped), LOG becomes LOG.1 and a new, empty LOG
 * replaces it. Every step is a rename or link, so a reader never sees a
 * half-written file and LOG always exists:
 *   open LOG.tmp (empty), shift, link LOG -> LOG.1, rename LOG.tmp -> LOG
 * (for a moment LOG and LOG.1 are the same inode; readers skip a repeated
 * inode). The new file is dup3()ed onto the caller's descriptor, which keeps
 * its number. Records are never split: a record larger than the cap gets a
 * file of its own. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned long long max_bytes; /* 0: no cap */
static unsigned max_files = 1;
static const char *log_path;
static unsigned long long cur_size;

void logrotate_config(unsigned long long bytes, unsigned files)
{
	max_bytes = bytes;
	max_files = files ? files : 1;
}

void logrotate_track(const char *path, int fd)
{
	struct stat st;

	log_path = path;
	if (fstat(fd, &st) < 0)
		die_errno(NULL, "stat log %s", path);
	cur_size = (unsigned long long)st.st_size;
}

/* LOG for i == 0, else LOG.i; tmp: LOG.tmp */
static void name_of(char *buf, size_t len, unsigned i, int tmp)
{
	int n;

	if (tmp)
		n = snprintf(buf, len, "%s.tmp", log_path);
	else if (i)
		n = snprintf(buf, len, "%s.%u", log_path, i);
	else
		n = snprintf(buf, len, "%s", log_path);
	if (n < 0 || (size_t)n >= len)
		die("log path too long: %s", log_path);
}

static void rotate(int fd)
{
	char from[PATH_MAX], to[PATH_MAX], tmp[PATH_MAX];
	int nfd;

	name_of(tmp, sizeof tmp, 0, 1);
	nfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (nfd < 0)
		die_errno(NULL, "rotate log: open %s", tmp);
	if (max_files > 1) {
		for (unsigned i = max_files - 1; i >= 2; i--) {
			name_of(from, sizeof from, i - 1, 0);
			name_of(to, sizeof to, i, 0);
			if (rename(from, to) < 0 && errno != ENOENT)
				die_errno(NULL, "rotate log: rename %s to %s", from, to);
		}
		/* LOG.1 is gone now, or (2 files) it is the oldest: drop it */
		name_of(to, sizeof to, 1, 0);
		if (unlink(to) < 0 && errno != ENOENT)
			die_errno(NULL, "rotate log: remove %s", to);
		if (link(log_path, to) < 0 && errno != ENOENT &&
		    rename(log_path, to) < 0) /* no hard links here: a short gap */
			die_errno(NULL, "rotate log: rename %s to %s", log_path, to);
	}
	if (rename(tmp, log_path) < 0)
		die_errno(NULL, "rotate log: rename %s to %s", tmp, log_path);
	if (dup3(nfd, fd, O_CLOEXEC) < 0)
		die_errno(NULL, "rotate log: dup3");
	close(nfd);
	cur_size = 0;
}

void logrotate_reserve(int fd, size_t len)
{
	if (max_bytes && log_path && cur_size > 0 && cur_size + len > max_bytes)
		rotate(fd);
	cur_size += len;
}

void logrotate_unreserve(size_t len)
{
	cur_size = cur_size > len ? cur_size - len : 0;
}
