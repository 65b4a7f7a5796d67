/* init.c: --pid-ns. The run child unshares CLONE_NEWPID and forks; the new
 * process is PID 1 of the environment: it finishes the setup (mounts,
 * pivot_root), forks CMD's process, then only reaps zombies, forwards
 * SIGTERM/SIGINT/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 to CMD, and exits with CMD's
 * status (128+N when CMD was killed by signal N: PID 1 cannot re-raise). */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static const int forwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
#define NFWD (sizeof forwarded / sizeof forwarded[0])

void init_fork(int pid_fd)
{
	pid_t pid = fork();

	if (pid < 0)
		die_errno(NULL, "fork the pid namespace's init");
	if (pid == 0) {
		close(pid_fd);
		return;
	}
	/* the monitor is a subreaper: PID 1 becomes its child when we exit */
	if (write_all(pid_fd, &pid, sizeof pid) < 0)
		die_errno(NULL, "send the init's pid to the monitor");
	_exit(0);
}

pid_t init_pid_read(int fd)
{
	pid_t pid;
	ssize_t n;

	while ((n = read(fd, &pid, sizeof pid)) < 0 && errno == EINTR)
		;
	close(fd);
	return n == sizeof pid ? pid : -1;
}

/* PID 1 ignores signals it has no handler for, even from the monitor. */
static void nop(int sig)
{
	(void)sig;
}

void init_spawn(int exit_fd)
{
	struct sigaction sa = {.sa_handler = nop};
	sigset_t set, old;
	pid_t cmd;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < NFWD; i++)
		sigaddset(&set, forwarded[i]);
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0)
		die_errno(NULL, "sigprocmask");
	for (size_t i = 0; i < NFWD; i++)
		sigaction(forwarded[i], &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	setsid(); /* not in the monitor's process group (fails harmlessly if already) */

	cmd = fork();
	if (cmd < 0)
		die_errno(NULL, "fork the command");
	if (cmd == 0) { /* CMD's process: back to default signal handling */
		close(exit_fd);
		sa.sa_handler = SIG_DFL;
		for (size_t i = 0; i < NFWD; i++)
			sigaction(forwarded[i], &sa, NULL);
		sigaction(SIGCHLD, &sa, NULL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return;
	}
	/* Only CMD reports on the status pipe and talks to the monitor. */
	sync_child_close();
	for (int fd = 0; fd < 3; fd++)
		if (dup2(open_devnull(O_RDWR), fd) < 0)
			_exit(125);
	if (exit_fd > 3)
		close_range(3, (unsigned)exit_fd - 1, 0);
	closefrom(exit_fd >= 3 ? exit_fd + 1 : 3);
	proc_title_set("berth-init");

	for (;;) {
		siginfo_t si;
		int status;
		pid_t p;

		if (sigwaitinfo(&set, &si) < 0)
			continue;
		if (si.si_signo != SIGCHLD) {
			kill(cmd, si.si_signo);
			continue;
		}
		while ((p = waitpid(-1, &status, WNOHANG)) > 0)
			if (p == cmd) {
				int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;

				if (sig && exit_fd >= 3)
					write_all(exit_fd, &sig, sizeof sig);
				_exit(sig ? 128 + sig : WEXITSTATUS(status));
			}
	}
}

int init_exit_signal(int fd, int status)
{
	int sig = 0;

	if (fd < 0 || !WIFEXITED(status) || WEXITSTATUS(status) <= 128)
		return 0;
	if (read(fd, &sig, sizeof sig) != (ssize_t)sizeof sig || 128 + sig != WEXITSTATUS(status))
		return 0;
	return sig;
}
