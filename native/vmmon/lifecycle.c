/* lifecycle.c: how a VM environment ends (vm-monitor.ts): the command's exit recorded in
 * exit.json; the VM's own end (a crash, or a kernel that never came up: the console's reason);
 * berth's failures (exit 125) and the watchdog on an attached CLI that is gone (137), both of
 * which take the VM and this process group down; the exit hook (--rm) when no CLI waits. */
#include "vmmon.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern struct crilog ctr_log, console_log;

static int orphaned, hook_started;
static long long boot_deadline = -1, kill_vm_at = -1, group_kill_at = -1, exit_at = -1, watchdog_at = -1;

int proc_alive(pid_t pid, unsigned long long start, int check_start)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z')
		return 0;
	if (!check_start)
		return 1;
	p += 2;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p && strtoull(p, NULL, 10) == start;
}

void lifecycle_write_exit(const struct exit_info *e)
{
	state_write_exit(C.state_dir, e->code, e->signo, e->oom, e->error[0] ? e->error : NULL);
}

static void record_exit(const struct exit_info *e)
{
	char p[8 + 1024];
	size_t len;

	main_exit = *e;
	has_main_exit = 1;
	lifecycle_write_exit(e);
	encode_exit(e, p, &len);
	client_broadcast(F_EXIT, MAIN_SESSION, p, len);
}

/* --rm: the command is over; unless the attached CLI is still there to remove the environment,
 * start the exit hook (a session of its own: it outlives this process group). A detached start
 * that failed before its command ran is its creator's to undo. */
static void start_exit_hook(void)
{
	int waited;
	pid_t pid;

	if (!C.exit_hook || hook_started || (!C.attached && !main_started))
		return;
	waited = C.attached && !any_detached() && !orphaned && C.has_owner &&
		 proc_alive(C.owner_pid, C.owner_start, C.has_owner_start);
	if (waited)
		return;
	hook_started = 1;
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		int null = open("/dev/null", O_RDWR);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		setsid();
		for (int i = 0; i < 3; i++)
			dup2(null, i);
		close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
		execvp(C.exit_hook[0], C.exit_hook);
		_exit(127);
	}
	/* pid < 0: the environment stays listed as exited; rm removes it */
}

static void kill_group(void)
{
	start_exit_hook();
	vm_kill();
	helpers_kill();
	server_close();
	/* This process leads its own group (it was started detached): end it, itself last, once
	 * the clients had a moment to take the EXIT. */
	if (group_kill_at < 0)
		group_kill_at = now_ms() + 20;
}

void lifecycle_fail(const char *fmt, ...)
{
	struct exit_info e = {.code = 125};
	va_list ap;

	if (!has_main_exit) {
		va_start(ap, fmt);
		vsnprintf(e.error, sizeof e.error, fmt, ap);
		va_end(ap);
		record_exit(&e);
	}
	kill_group();
}

void lifecycle_die_hook(const char *msg)
{
	struct exit_info e = {.code = 125};

	if (!has_main_exit) {
		snprintf(e.error, sizeof e.error, "monitor: %s", msg);
		main_exit = e;
		has_main_exit = 1;
		state_write_exit(C.state_dir, e.code, 0, 0, e.error);
	}
	start_exit_hook();
	vm_kill();
	helpers_kill();
	unlink(C.socket);
}

void lifecycle_watchdog(const char *why)
{
	struct exit_info e = {.code = 137, .signo = 9};

	if (has_main_exit)
		return;
	orphaned = 1;
	snprintf(e.error, sizeof e.error, "%s: the watchdog stopped the VM (use -d to keep it running)", why);
	main_exit = e;
	has_main_exit = 1;
	lifecycle_write_exit(&e);
	kill_group();
}

void lifecycle_finish(void)
{
	if (finished)
		return;
	finished = 1;
	helpers_kill();
	start_exit_hook();
	server_close();
	clients_end();
	crilog_close(&ctr_log);
	crilog_close(&console_log);
	/* What the clients were sent still reaches them (at most 1 s), then the process exits. */
	exit_at = now_ms() + 1000;
}

void lifecycle_vm_exited(int status)
{
	ctl_drain();
	vm_console_drain();
	if (!has_main_exit) {
		struct exit_info e = {0};
		int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
		char how[96], reason[512];
		if (sig) {
			const char *abbrev = sigabbrev_np(sig);
			snprintf(how, sizeof how, "was killed by SIG%s", abbrev ? abbrev : "?");
		} else
			snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(status));
		if (ready) {
			e.code = 128 + (sig ? sig : 9);
			e.signo = sig ? sig : 9;
			snprintf(e.error, sizeof e.error, "%s %s while the command ran", C.what, how);
		} else {
			e.code = 125;
			boot_failure_reason(reason, sizeof reason);
			snprintf(e.error, sizeof e.error, "%s failed to boot: %s", C.what, reason);
		}
		record_exit(&e);
	}
	execs_end_all("the VM stopped");
	lifecycle_finish();
}

void lifecycle_shutdown_later(void)
{
	if (kill_vm_at < 0)
		kill_vm_at = now_ms() + 10000;
}

void lifecycle_start_timers(void)
{
	long long now = now_ms();

	boot_deadline = now + (long long)C.boot_timeout_ms;
	if (C.attached && C.has_owner)
		watchdog_at = now + 250;
}

void lifecycle_timers(void)
{
	if (boot_deadline >= 0 && !ready)
		timer_at(boot_deadline);
	if (watchdog_at >= 0)
		timer_at(watchdog_at);
	if (kill_vm_at >= 0)
		timer_at(kill_vm_at);
	if (group_kill_at >= 0)
		timer_at(group_kill_at);
	if (exit_at >= 0)
		timer_at(exit_at);
}

void lifecycle_tick(void)
{
	long long now = now_ms();

	if (boot_deadline >= 0 && now >= boot_deadline) {
		boot_deadline = -1;
		if (!ready) {
			char reason[512];
			boot_failure_reason(reason, sizeof reason);
			lifecycle_fail("%s did not become ready within %g s (%s)", C.what,
				       (double)C.boot_timeout_ms / 1000, reason);
		}
	}
	if (watchdog_at >= 0 && now >= watchdog_at) {
		watchdog_at = now + 250;
		if (!proc_alive(C.owner_pid, C.owner_start, C.has_owner_start) && !any_detached())
			lifecycle_watchdog("the attached berth process is gone");
	}
	if (kill_vm_at >= 0 && now >= kill_vm_at) {
		kill_vm_at = -1;
		vm_kill();
	}
	if (group_kill_at >= 0 && now >= group_kill_at) {
		kill(-getpid(), SIGKILL);
		_exit(125); /* not a group leader after all */
	}
	if (exit_at >= 0 && (now >= exit_at || clients_flushed()))
		exit(0);
}
