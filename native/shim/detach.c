/* detach.c: `run --tty --notify-fd N`: the detach keys (Ctrl-P Ctrl-Q, as
 * Docker) end the attachment, not the command. The monitor restores the
 * terminal, leaves the caller's session, tells the CLI on fd N and goes on
 * as a detached monitor (logging only). */
#include "shim.h"

#include <fcntl.h>
#include <unistd.h>

static const char keys[] = {0x10, 0x11}; /* ctrl-p ctrl-q */
static size_t matched;

size_t detach_scan(const char *in, size_t n, char *out, size_t *outn, int *detach)
{
	size_t o = 0;

	*detach = 0;
	for (size_t i = 0; i < n; i++) {
		if (in[i] == keys[matched]) {
			if (++matched == sizeof keys) {
				matched = 0;
				*detach = 1;
				*outn = o;
				return i + 1;
			}
			continue;
		}
		/* A broken sequence: the held-back bytes were ordinary input. */
		for (size_t k = 0; k < matched; k++)
			out[o++] = keys[k];
		matched = 0;
		if (in[i] == keys[0])
			matched = 1;
		else
			out[o++] = in[i];
	}
	*outn = o;
	return n;
}

void detach_now(struct monitor *m)
{
	int devnull = open_devnull(O_RDWR);

	tty_raw_leave();
	if (m->notify_fd >= 0) {
		write_all(m->notify_fd, "detached\n", 9);
		close(m->notify_fd);
		m->notify_fd = -1;
	}
	dup2(devnull, 0);
	dup2(devnull, 1);
	dup2(devnull, 2);
	close(devnull);
	setsid(); /* off the caller's terminal session (fails harmlessly if already a leader) */
	m->relay_stdin = 0;
	m->to_terminal = 0;
}
