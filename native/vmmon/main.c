/* berth-vmmon STATE_DIR: the monitor of one uml or microvm environment (ADR 0065), started
 * detached by vm-driver.ts with monitor.cfg in STATE_DIR. Writes monitor.pid, listens on the
 * environment's socket, starts the VM and runs one poll() loop until the VM is gone. */
#include "vmmon.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

struct crilog console_log = {.fd = -1};
extern struct crilog ctr_log;

static int signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		die_errno(NULL, "sigprocmask");
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		die_errno(NULL, "signalfd");
	return fd;
}

static void on_signal(int sfd)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGCHLD)
			vm_reap();
		else
			lifecycle_fail("monitor received SIG%s", sigabbrev_np((int)si.ssi_signo));
	}
}

static void write_monitor_pid(void)
{
	char buf[128];

	/* Also written by the driver; written here too so no window exists in which rm -f cannot find us. */
	snprintf(buf, sizeof buf, "{\"pid\":%d,\"start\":%llu}\n", (int)getpid(), proc_starttime(getpid()));
	write_file_atomic(C.state_dir, "monitor.pid", buf);
}

#define MAX_FDS 256

static void loop(int sfd)
{
	struct pollfd pfd[MAX_FDS];
	struct client *who[MAX_FDS];

	for (;;) {
		int n = 0, cons[64], ncons, fd;

		timer_reset();
		ctl_timers();
		bulk_timers();
		hosts_timers();
		lifecycle_timers();
		pfd[n] = (struct pollfd){.fd = sfd, .events = POLLIN};
		who[n++] = NULL;
		if ((fd = server_fd()) >= 0) {
			pfd[n] = (struct pollfd){.fd = fd, .events = POLLIN};
			who[n++] = NULL;
		}
		if ((fd = ctl_fd()) >= 0) {
			pfd[n] = (struct pollfd){.fd = fd,
						 .events = POLLIN | (gflow_wants_write() ? POLLOUT : 0)};
			who[n++] = NULL;
		}
		ncons = vm_console_fds(cons, 16);
		ncons += relay_fds(cons + ncons, 64 - ncons);
		for (int i = 0; i < ncons; i++) {
			pfd[n] = (struct pollfd){.fd = cons[i], .events = POLLIN};
			who[n++] = NULL;
		}
		for (struct client *c = clients; c && n < MAX_FDS; c = c->next) {
			short ev = (c->input_paused || c->eof_in ? 0 : POLLIN) | (c->out.bytes ? POLLOUT : 0);
			pfd[n] = (struct pollfd){.fd = c->fd, .events = ev};
			who[n++] = c;
		}
		if (poll(pfd, (nfds_t)n, timer_timeout()) < 0 && errno != EINTR)
			die_errno(NULL, "poll");
		for (int i = 0; i < n; i++) {
			short re = pfd[i].revents;
			if (!re)
				continue;
			if (who[i]) {
				if (re & POLLOUT)
					client_writable(who[i]);
				if (re & (POLLIN | POLLHUP | POLLERR))
					client_readable(who[i]);
			} else if (pfd[i].fd == sfd)
				on_signal(sfd);
			else if (pfd[i].fd == server_fd())
				server_accept();
			else if (pfd[i].fd == ctl_fd()) {
				if (re & POLLOUT)
					gflow_pump();
				if (re & (POLLIN | POLLHUP | POLLERR))
					ctl_readable();
			} else if (relay_is(pfd[i].fd))
				relay_accept(pfd[i].fd);
			else
				vm_console_read(pfd[i].fd);
		}
		ctl_tick();
		bulk_tick();
		hosts_tick();
		clients_resume_input();
		clients_reap();
		lifecycle_tick();
	}
}

int main(int argc, char **argv)
{
	int sfd;

	if (argc != 2) {
		dprintf(2, "usage: berth-vmmon STATE_DIR\n");
		return 125;
	}
	/* Buffers up to 2 MiB (a client's 64 KiB frames, a 1 MiB bulk file) come from the heap: mapping
	 * and unmapping each one cost a page fault per page and a TLB flush on every CPU, most of the
	 * monitor's time in a 64 MiB exec -i. The heap is given back once a client or a session's
	 * input is gone (memory_settle): an idle monitor keeps only what it uses. */
	mallopt(M_MMAP_THRESHOLD, 2 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 2 * 1024 * 1024);
	config_read(argv[1]);
	/* Lifecycle marks, checked against the processes by their readers: no fsync on a VM's start
	 * or on its command's exit path (common.h). */
	state_files_durable = 0;
	set_die_hook(lifecycle_die_hook);
	sfd = signals();
	write_monitor_pid();
	crilog_open(&ctr_log, C.log_file, C.log_max_bytes, C.log_max_files);
	crilog_open(&console_log, C.console_log, C.log_max_bytes, 1);
	bulk_init();
	server_listen();
	for (char **h = C.hold_port; h && *h; h++)
		hold_port(*h);
	if (relays_listen() == 0) {
		lifecycle_start_timers();
		if (helpers_start() == 0)
			vm_start();
	}
	loop(sfd);
}
