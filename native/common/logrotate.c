/* logrotate.c: a CRI log's size cap. When the next record would make the
 * log exceed the cap, the files shift (LOG.1 -> LOG.2 ... up to LOG.(N-1),
 * the oldest is dropped), LOG becomes LOG.1 and a new, empty LOG replaces it.
 * Every step is a rename or link, so a reader never sees a half-written file
 * and LOG always exists:
 *   open LOG.tmp (empty), shift, link LOG -> LOG.1, rename LOG.tmp -> LOG
 * (for a moment LOG and LOG.1 are the same inode; readers skip a repeated
 * inode). The new file is dup3()ed onto the log's descriptor, which keeps
 * its number. Records are never split: a record larger than the cap gets a
 * file of its own. */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* LOG for i == 0, else LOG.i; tmp: LOG.tmp */
static void name_of(const struct crilog *l, char *buf, size_t len, unsigned i, int tmp)
{
	int n;

	if (tmp)
		n = snprintf(buf, len, "%s.tmp", l->path);
	else if (i)
		n = snprintf(buf, len, "%s.%u", l->path, i);
	else
		n = snprintf(buf, len, "%s", l->path);
	if (n < 0 || (size_t)n >= len)
		die("log path too long: %s", l->path);
}

static void rotate(struct crilog *l)
{
	char from[PATH_MAX], to[PATH_MAX], tmp[PATH_MAX];
	int nfd;

	name_of(l, tmp, sizeof tmp, 0, 1);
	nfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	if (nfd < 0)
		die_errno(NULL, "rotate log: open %s", tmp);
	if (l->max_files > 1) {
		for (unsigned i = l->max_files - 1; i >= 2; i--) {
			name_of(l, from, sizeof from, i - 1, 0);
			name_of(l, to, sizeof to, i, 0);
			if (rename(from, to) < 0 && errno != ENOENT)
				die_errno(NULL, "rotate log: rename %s to %s", from, to);
		}
		/* LOG.1 is gone now, or (2 files) it is the oldest: drop it */
		name_of(l, to, sizeof to, 1, 0);
		if (unlink(to) < 0 && errno != ENOENT)
			die_errno(NULL, "rotate log: remove %s", to);
		if (link(l->path, to) < 0 && errno != ENOENT &&
		    rename(l->path, to) < 0) /* no hard links here: a short gap */
			die_errno(NULL, "rotate log: rename %s to %s", l->path, to);
	}
	if (rename(tmp, l->path) < 0)
		die_errno(NULL, "rotate log: rename %s to %s", tmp, l->path);
	if (dup3(nfd, l->fd, O_CLOEXEC) < 0)
		die_errno(NULL, "rotate log: dup3");
	close(nfd);
	l->size = 0;
}

void logrotate_reserve(struct crilog *l, size_t len)
{
	if (l->max_bytes && l->size > 0 && l->size + len > l->max_bytes)
		rotate(l);
	l->size += len;
}

void logrotate_unreserve(struct crilog *l, size_t len)
{
	l->size = l->size > len ? l->size - len : 0;
}
