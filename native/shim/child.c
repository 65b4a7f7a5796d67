/* child.c: the `run` child, from fork() to execvpe(). Every failure goes to
 * the monitor through sync.c ("125 <message>"). Order matters:
 * user ns (+ sync point: cgroups joined, maps written) -> mount/uts/pid/
 * net/ipc/cgroup ns -> lo up, ping groups -> [--net-sync-fd: caller plumbs the netns] -> [--pid-ns: fork PID 1] -> private / ->
 * overlay -> /proc /sys /dev --bind -> pivot_root -> hostname ->
 * [--pid-ns: PID 1 forks CMD] -> cwd -> caps, user -> seccomp -> exec. */
#include "shim.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static int unshare_flags(const struct ns_flags *ns)
{
	int flags = 0;

	if (ns->mnt)
		flags |= CLONE_NEWNS;
	if (ns->uts)
		flags |= CLONE_NEWUTS;
	if (ns->pid)
		flags |= CLONE_NEWPID;
	if (ns->net)
		flags |= CLONE_NEWNET;
	if (ns->ipc)
		flags |= CLONE_NEWIPC;
	if (ns->cgroup) /* after the sync point: rooted at the joined cgroups */
		flags |= CLONE_NEWCGROUP;
	return flags;
}

void child_run(const struct opts *o, const struct child_io *io, struct userns_sync *us, int pid_fd,
	       int exit_fd)
{
	int rootfd;

	if (!io->ctty)
		child_stdio(io);
	if (o->ns.user || o->n_cgroups)
		userns_child_enter(us, o->ns.user);
	if (unshare(unshare_flags(&o->ns)) < 0)
		die_errno(NULL, "unshare(namespaces)");
	if (o->ns.net) {
		netns_lo_up();
		netns_ping_groups();
	}
	if (o->net_sync_fd >= 0)
		netsync_child(o->net_sync_fd);
	if (o->ns.pid)
		init_fork(pid_fd); /* from here on: PID 1 of the new pid ns */
	if (mount("", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die_errno(NULL, "make / private");

	rootfs_mount(o);
	rootfd = open(o->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		die_errno(NULL, "open %s", o->rootfs);
	binds_mount_system(o, rootfd);
	devfs_setup(rootfd, o->ns.user); /* in a user ns gid 5 is usually unmapped */
	binds_mount_user(o, rootfd); /* after /dev, so --bind /dev/kvm:/dev/kvm works */
	close(rootfd);
	rootfs_pivot(o->rootfs);

	if (o->hostname && sethostname(o->hostname, strlen(o->hostname)) < 0)
		die_errno(NULL, "sethostname %s", o->hostname);
	if (o->ns.pid)
		init_spawn(exit_fd); /* from here on: CMD's process */
	if (io->ctty) {
		int slave = pty_open_send(io->console);
		struct child_io tio = {slave, slave, slave, 1, -1};

		child_stdio(&tio);
	}
	launch(o);
}
