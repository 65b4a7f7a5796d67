/* child.c: the `run` child, from fork() to execvpe(). Every failure goes to
 * the monitor through sync.c ("125 <message>"). Order matters:
 * user ns -> mount/uts ns -> private / -> overlay -> /proc /sys /dev --bind
 * -> pivot_root -> hostname -> cwd -> user -> exec. */
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
	/* container backend: CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWCGROUP */
	return flags;
}

void child_run(const struct opts *o, const struct child_io *io, struct userns_sync *us)
{
	int rootfd;

	if (!io->ctty)
		child_stdio(io);
	if (o->ns.user)
		userns_child_enter(us);
	if (unshare(unshare_flags(&o->ns)) < 0)
		die_errno(NULL, "unshare(mount/uts namespaces)");
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
	if (io->ctty) {
		int slave = pty_open_send(io->console);
		struct child_io tio = { slave, slave, slave, 1, -1 };

		child_stdio(&tio);
	}
	launch(o->cwd, &o->user, (char **)o->env, o->argv);
}
