/* crilog.c: CRI log format, one record per line:
 *   <RFC3339Nano> <stream> <F|P> <text>\n
 * F: the text ended with a newline (not included); P: the chunk ended
 * mid-line. With a size cap the file is rotated between records
 * (logrotate.c). */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void crilog_open(struct crilog *l, const char *path, unsigned long long max_bytes, unsigned max_files)
{
	struct stat st;

	l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (l->fd < 0)
		die_errno(NULL, "open log %s", path);
	if (fstat(l->fd, &st) < 0)
		die_errno(NULL, "stat log %s", path);
	l->path = path;
	l->max_bytes = max_bytes;
	l->max_files = max_files ? max_files : 1;
	l->size = (unsigned long long)st.st_size;
}

void crilog_close(struct crilog *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}

static void record(struct crilog *l, const char *stream, char tag, const char *text, size_t len)
{
	char ts[64], head[96], *rec;
	size_t hlen;
	off_t start;

	now_rfc3339(ts, sizeof ts);
	hlen = (size_t)snprintf(head, sizeof head, "%s %s %c ", ts, stream, tag);
	rec = malloc(hlen + len + 1);
	if (!rec)
		die("out of memory");
	memcpy(rec, head, hlen);
	memcpy(rec + hlen, text, len);
	rec[hlen + len] = '\n';
	logrotate_reserve(l, hlen + len + 1); /* may switch fd to a new file */
	start = lseek(l->fd, 0, SEEK_END);
	if (write_all(l->fd, rec, hlen + len + 1) < 0) { /* one write per record */
		/* A full filesystem drops the record whole: the command keeps
		 * running and the log stays readable. Anything else is fatal. */
		if (errno != ENOSPC && errno != EDQUOT)
			die_errno(NULL, "write log");
		if (start >= 0 && ftruncate(l->fd, start) < 0)
			start = -1; /* a torn last line; readers skip it */
		logrotate_unreserve(l, hlen + len + 1);
	}
	free(rec);
}

void crilog_write(struct crilog *l, const char *stream, const char *buf, size_t len)
{
	if (l->fd < 0)
		return;
	while (len > 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) : len;

		record(l, stream, nl ? 'F' : 'P', buf, n);
		if (!nl)
			break;
		buf += n + 1;
		len -= n + 1;
	}
}
