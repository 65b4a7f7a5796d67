/* procfs.c: --proc new: a fresh procfs (mounted from inside the pid
 * namespace, so it shows only the environment's processes), masked like
 * Podman: /dev/null over sensitive files, an empty read-only tmpfs over
 * sensitive directories, and a few trees read-only. Missing entries (the
 * kernel's config varies) are skipped. */
#include "shim.h"

#include <errno.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const masked[] = {
	"/proc/kcore",	       "/proc/keys",	    "/proc/timer_list", "/proc/sched_debug",
	"/proc/latency_stats", "/proc/timer_stats", "/proc/acpi",	"/proc/scsi",
};

static const char *const readonly[] = {
	"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs",
};

static int open_optional(int rootfd, const char *path)
{
	int fd = open_in_root(rootfd, path);

	if (fd < 0 && errno != ENOENT)
		die_errno(NULL, "resolve %s inside the rootfs", path);
	return fd;
}

void procfs_mount_new(int rootfd)
{
	struct stat st;
	int fd;

	fd = resolve_in_root(rootfd, "/proc", S_IFDIR);
	mount_on_fd(fd, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	close(fd);

	for (size_t i = 0; i < sizeof masked / sizeof masked[0]; i++) {
		if ((fd = open_optional(rootfd, masked[i])) < 0)
			continue;
		if (fstat(fd, &st) < 0)
			die_errno(NULL, "stat %s", masked[i]);
		if (S_ISDIR(st.st_mode))
			mount_on_fd(fd, "tmpfs", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
				    "size=0,mode=555");
		else
			bind_tree("/dev/null", fd, 0, 0);
		close(fd);
	}
	for (size_t i = 0; i < sizeof readonly / sizeof readonly[0]; i++) {
		if ((fd = open_optional(rootfd, readonly[i])) < 0)
			continue;
		bind_at(fd, "", readonly[i], fd, 1, 1); /* onto itself, then ro */
		close(fd);
	}
}
