/* monitor.c: the relay loop. Copies the child's output to our fd 1/2 and to
 * the CRI log, relays stdin to a pty, forwards signals, and returns the
 * child's wait status once it exited and its output was drained. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

static const int handled[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD};
static sigset_t old_mask;

int monitor_signals_block(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof handled / sizeof handled[0]; i++)
		sigaddset(&set, handled[i]);
	if (sigprocmask(SIG_BLOCK, &set, &old_mask) < 0)
		die_errno(NULL, "sigprocmask");
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (fd < 0)
		die_errno(NULL, "signalfd");
	return fd;
}

void monitor_signals_restore(void)
{
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
}

int exit_code_of(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static int term_ok[3] = {0, 1, 1}; /* fd 1/2 still writable? */

static void emit(struct monitor *m, int stream, const char *buf, size_t n)
{
	if (m->to_terminal && term_ok[stream] && write_all(stream, buf, n) < 0)
		term_ok[stream] = 0; /* terminal gone: keep logging */
	if (m->log)
		crilog_write(m->log, stream == 1 ? "stdout" : "stderr", buf, n);
}

/* One read from *fd. Returns 1 if data was copied; closes *fd at EOF/EIO. */
static int pump(struct monitor *m, int *fd, int stream)
{
	char buf[32768];
	ssize_t n = read(*fd, buf, sizeof buf);

	if (n > 0) {
		emit(m, stream, buf, (size_t)n);
		return 1;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	close(*fd); /* EOF, or EIO from a pty master whose slave is gone */
	*fd = -1;
	return 0;
}

static void relay_stdin(struct monitor *m)
{
	char buf[4096], out[4096 + 2];
	size_t outn, used;
	int detach = 0;
	ssize_t n = read(0, buf, sizeof buf);

	if (n < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		m->relay_stdin = 0; /* EOF on stdin: leave the child alone */
		return;
	}
	used = m->notify_fd >= 0 ? detach_scan(buf, (size_t)n, out, &outn, &detach) : (size_t)n;
	if (m->notify_fd < 0) {
		memcpy(out, buf, (size_t)n);
		outn = (size_t)n;
	}
	if (outn > 0 && write_all(m->master, out, outn) < 0)
		m->relay_stdin = 0;
	if (detach) {
		(void)used; /* what followed the keys belongs to the detached terminal */
		detach_now(m);
	}
}

static int on_signal(struct monitor *m, int *status)
{
	struct signalfd_siginfo si;

	if (read(m->sigfd, &si, sizeof si) != sizeof si)
		return 0;
	switch (si.ssi_signo) {
	case SIGCHLD: {
		/* As a subreaper we also inherit the command's orphans: reap them too. */
		int st, done = 0;
		pid_t p;

		while ((p = waitpid(-1, &st, WNOHANG)) > 0)
			if (p == m->child) {
				*status = st;
				done = 1;
			}
		return done;
	}
	case SIGWINCH:
		if (m->master >= 0 && m->winsize_fd >= 0)
			pty_winsize_apply(m->winsize_fd, m->master);
		else if (m->master >= 0)
			pty_copy_winsize(0, m->master);
		return 0;
	default:
		kill(m->child, (int)si.ssi_signo);
		return 0;
	}
}

static void drain(struct monitor *m, int *fd, int stream)
{
	if (*fd < 0)
		return;
	fcntl(*fd, F_SETFL, fcntl(*fd, F_GETFL) | O_NONBLOCK);
	while (*fd >= 0 && pump(m, fd, stream))
		;
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int monitor_loop(struct monitor *m)
{
	int status = 0;

	for (;;) {
		struct pollfd p[6];
		int n = 0, i_out = -1, i_err = -1, i_mst = -1, i_in = -1, i_fifo = -1;

		p[n++] = (struct pollfd){.fd = m->sigfd, .events = POLLIN};
		if (m->out_fd >= 0)
			p[i_out = n++] = (struct pollfd){.fd = m->out_fd, .events = POLLIN};
		if (m->err_fd >= 0)
			p[i_err = n++] = (struct pollfd){.fd = m->err_fd, .events = POLLIN};
		if (m->master >= 0)
			p[i_mst = n++] = (struct pollfd){.fd = m->master, .events = POLLIN};
		if (m->relay_stdin && m->master >= 0)
			p[i_in = n++] = (struct pollfd){.fd = 0, .events = POLLIN};
		if (m->in_fifo >= 0)
			p[i_fifo = n++] = (struct pollfd){.fd = m->in_fifo, .events = POLLIN};
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			die_errno(NULL, "poll");
		}
		if (p[0].revents && on_signal(m, &status))
			break;
		if (i_out >= 0 && p[i_out].revents)
			pump(m, &m->out_fd, 1);
		if (i_err >= 0 && p[i_err].revents)
			pump(m, &m->err_fd, 2);
		if (i_mst >= 0 && p[i_mst].revents)
			pump(m, &m->master, 1);
		if (i_in >= 0 && p[i_in].revents)
			relay_stdin(m);
		if (i_fifo >= 0 && p[i_fifo].revents)
			stdin_fifo_relay(m);
	}
	/* The child is gone: copy what is already buffered, but do not wait
	 * for background processes that may still hold the pipes open. */
	drain(m, &m->out_fd, 1);
	drain(m, &m->err_fd, 2);
	drain(m, &m->master, 1);
	return status;
}
