/* stdin_fifo.c: `run --detach --interactive --stdin-fifo PATH`: a detached
 * command's stdin through a FIFO that attaching clients (berth serve's attach
 * with stdin) open to write. With --tty what they write goes to the terminal
 * and the FIFO is opened again when the last writer goes (the terminal stays
 * for the next attach); without, the command's stdin is a pipe fed from the
 * FIFO and closed when the last writer goes (Docker's StdinOnce). */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_reader(const char *path)
{
	/* Non-blocking: no writer yet is not an error; poll says when one writes. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		die_errno(NULL, "open the stdin FIFO %s", path);
	return fd;
}

int stdin_fifo_create(const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT) /* a restart's previous FIFO */
		die_errno(NULL, "remove %s", path);
	if (mkfifo(path, 0600) < 0)
		die_errno(NULL, "mkfifo %s", path);
	return open_reader(path);
}

void stdin_fifo_relay(struct monitor *m)
{
	char buf[4096];
	ssize_t n = read(m->in_fifo, buf, sizeof buf);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n > 0) {
		int to = m->master >= 0 ? m->master : m->in_pipe;

		if (to >= 0 && write_all(to, buf, (size_t)n) == 0)
			return;
	}
	/* The last writer went (or the command stopped reading). */
	close(m->in_fifo);
	m->in_fifo = -1;
	if (m->master >= 0 && n == 0) {
		m->in_fifo = open_reader(m->fifo_path);
		return;
	}
	if (m->in_pipe >= 0)
		close(m->in_pipe);
	m->in_pipe = -1;
}
