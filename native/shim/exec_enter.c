/* exec_enter.c: `berth-shim exec --pid PID`: join the cgroups, namespaces
 * and root of a running environment, fork CMD there (after setns(pid), so
 * it lives in the environment's pid namespace) and relay until it exits. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct ns_ref {
	const char *name;
	int type;
	int fd;
	int same; /* already ours: setns would be pointless (and may be denied) */
};

static void ns_open(struct ns_ref *ns, pid_t pid)
{
	char path[64];
	struct stat theirs, ours;

	snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, ns->name);
	ns->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ns->fd < 0)
		die_errno(errno == ENOENT ? "is the environment still running?" : NULL, "open %s", path);
	snprintf(path, sizeof path, "/proc/self/ns/%s", ns->name);
	if (fstat(ns->fd, &theirs) < 0 || stat(path, &ours) < 0)
		die_errno(NULL, "stat %s", path);
	ns->same = theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

static void ns_join(const struct ns_ref *ns)
{
	if (!ns->same && setns(ns->fd, ns->type) < 0)
		die_errno(ns->type == CLONE_NEWUSER
				  ? NULL
				  : "does the environment use a user namespace? then pass --userns",
			  "setns %s namespace", ns->name);
	close(ns->fd);
}

int cmd_exec(int argc, char **argv)
{
	static struct opts o;
	struct ns_ref user = {"user", CLONE_NEWUSER, -1, 1};
	struct ns_ref mnt = {"mnt", CLONE_NEWNS, -1, 1};
	struct ns_ref uts = {"uts", CLONE_NEWUTS, -1, 1};
	struct ns_ref others[] = {
		/* joined after mnt/uts; pid last (it only affects children) */
		{"ipc", CLONE_NEWIPC, -1, 1},
		{"net", CLONE_NEWNET, -1, 1},
		{"cgroup", CLONE_NEWCGROUP, -1, 1},
		{"pid", CLONE_NEWPID, -1, 1},
	};
	const size_t nothers = sizeof others / sizeof others[0];
	struct child_io io;
	struct monitor m;
	int master = -1, slave = -1, devnull, rootfd, syncr, sigfd, code, status, winsize_fd;
	char path[64], msg[1200];
	pid_t child;

	opts_parse_exec(&o, argc, argv);
	/* Everything from the host side is opened before joining; the cgroups
	 * first, so that the command is forked inside them. */
	cgroup_join(&o, getpid());
	if (o.ns.user)
		ns_open(&user, o.pid);
	ns_open(&mnt, o.pid);
	ns_open(&uts, o.pid);
	for (size_t i = 0; i < nothers; i++)
		ns_open(&others[i], o.pid);
	snprintf(path, sizeof path, "/proc/%d/root", (int)o.pid);
	rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		die_errno(NULL, "open %s", path);
	devnull = open_devnull(O_RDWR);
	winsize_fd = pty_winsize_open(o.winsize_file);

	if (o.ns.user)
		ns_join(&user);
	ns_join(&mnt);
	ns_join(&uts);
	for (size_t i = 0; i < nothers; i++)
		ns_join(&others[i]);
	if (fchdir(rootfd) < 0 || chroot(".") < 0)
		die_errno(NULL, "enter the root of pid %d", (int)o.pid);
	close(rootfd);
	/* Inside the environment's root: the pty comes from its own devpts. */
	if (o.tty) {
		pty_open(&master, &slave);
		if (winsize_fd >= 0)
			pty_size_detached(winsize_fd, master);
		else
			pty_copy_winsize(0, master);
		io = (struct child_io){slave, slave, slave, 1, -1};
	} else {
		io = (struct child_io){o.interactive ? 0 : devnull, 1, 2, 0, -1};
	}

	child = fork_synced(&syncr, &sigfd);
	if (child == 0) {
		child_stdio(&io);
		launch(&o);
	}
	if (slave >= 0)
		close(slave);
	code = sync_parent_wait(syncr, msg, sizeof msg);
	if (code) {
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
		fprintf(stderr, "berth: %s\n", msg);
		return code;
	}
	if (o.tty)
		tty_raw_enter(0);
	m = (struct monitor){
		.child = child,
		.out_fd = -1,
		.err_fd = -1,
		.master = master,
		.relay_stdin = o.tty,
		.to_terminal = 1,
		.log = NULL,
		.notify_fd = -1,
		.sigfd = sigfd,
		.in_fifo = -1,
		.in_pipe = -1,
		.winsize_fd = winsize_fd,
	};
	return exit_code_of(monitor_loop(&m));
}
