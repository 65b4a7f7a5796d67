/*
 * berth-guest-init: PID 1 of a berth VM (uml, microvm). Boots per the guest boot contract
 * (modules, root disk, switch_root, /proc /sys /dev, hostname), then serves the framed
 * protocol of docs/guest-protocol.md on berth.ctl until told to shut down.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include "init.h"

static int shutting_down;

static void send_ready(void)
{
	struct utsname u;
	uname(&u);
	ctl_send(F_READY, 0, u.release, (uint32_t)strlen(u.release));
}

static void on_frame(uint8_t type, uint32_t session, const uint8_t *p, uint32_t len)
{
	switch (type) {
	case F_START:
		session_start(session, p, len);
		break;
	case F_STDIN:
		session_stdin(session, p, len);
		break;
	case F_RESIZE:
		session_resize(session, p, len);
		break;
	case F_SIGNAL:
		session_signal(session, p, len);
		break;
	case F_BULK_IN:
		bulk_in(session, p, len);
		break;
	case F_BULK_TAKEN:
		session_bulk_taken(session);
		break;
	case F_PAUSE:
	case F_RESUME:
		session_pause(session, type == F_PAUSE);
		break;
	case F_SHUTDOWN:
		shutting_down = 1;
		break;
	case F_IDENTITY: {
		/* A clone resumed from a template: its own identity, then READY as after a boot. */
		const char *err = identity_apply(p, len);
		if (err)
			die("identity: %s", err);
		session_orphan_all();
		ctl_ack_all();
		bulk_announce();
		send_ready();
		break;
	}
	default:
		say("ignoring unknown frame type 0x%02x", type);
	}
}

static void reap(void)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		session_reaped(pid, status);
}

int main(int argc, char **argv)
{
	/* Started again inside the guest (as /proc/1/exe) for one published-port connection. */
	if (argc == 3 && !strcmp(argv[1], "berth-connect"))
		return relay_main(argv[2]);
	/* Started the same way when the peers on the environment's network change. */
	if (argc == 2 && !strcmp(argv[1], "berth-hosts"))
		return hosts_main();
	if (getpid() != 1)
		die("must run as PID 1 of a guest");
	mkdir("/proc", 0755);
	mkdir("/dev", 0755);
	if (mount("proc", "/proc", "proc", 0, NULL) < 0)
		die("mount /proc: %s", strerror(errno));
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) < 0)
		die("mount /dev: %s", strerror(errno));
	struct boot_args args;
	read_boot_args(&args);
	load_modules();
	mount_root_and_switch(&args);
	mount_api_filesystems();
	grow_root(&args);
	mount_kernel_modules(&args);
	set_hostname(args.hostname);
	setup_network();
	bulk_setup();

	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		die("signalfd: %s", strerror(errno));
	signal(INIT_IGNORED_SIGNAL, SIG_IGN);

	int ctl = ctl_open(args.ctl);
	bulk_announce();
	send_ready();

	struct pollfd fds[2 + MAX_SESSIONS * 3];
	session_clock();
	int host_away = 0; /* a virtio-serial port without its host end: look again in a moment */
	while (!shutting_down) {
		fds[0] = (struct pollfd){.fd = host_away ? -1 : ctl, .events = POLLIN};
		fds[1] = (struct pollfd){.fd = sfd, .events = POLLIN};
		int n = session_pollfds(fds + 2, MAX_SESSIONS * 3);
		int timeout = session_poll_timeout();
		if (host_away && (timeout < 0 || timeout > 20))
			timeout = 20;
		int ready = poll(fds, (nfds_t)(2 + n), timeout);
		host_away = 0;
		/* The init waits here nearly all its life: if its kernel was killed from outside, this is
     * where it would wake up outside the VM. */
		require_guest_pid1();
		session_clock();
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (fds[2].revents || n > 0)
			session_handle(fds + 2, n);
		session_retry_due();
		if (fds[1].revents) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof si) > 0) { /* drain */
			}
			reap();
		}
		if (fds[0].revents & POLLIN) {
			int r = ctl_pump(ctl, on_frame);
			if (r < 0) {
				say("the control channel closed: powering off");
				break;
			}
			host_away = r > 0;
		} else if (fds[0].revents & (POLLHUP | POLLERR)) {
			say("the control channel hung up: powering off");
			break;
		}
	}
	session_kill_all();
	power_off();
}
