/* devfs.c: a minimal /dev: tmpfs with bind-mounted host nodes, a private
 * devpts instance, the usual symlinks and /dev/shm. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

static const char *const links[][2] = {
	{"ptmx", "pts/ptmx"},	       {"fd", "/proc/self/fd"},	      {"stdin", "/proc/self/fd/0"},
	{"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"},
};

static int subdir(int dev, const char *name, mode_t mode)
{
	int fd;

	if (mkdirat(dev, name, mode) < 0)
		die_errno(NULL, "mkdir /dev/%s", name);
	if (fchmodat(dev, name, mode, 0) < 0) /* beat the umask */
		die_errno(NULL, "chmod /dev/%s", name);
	fd = openat(dev, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		die_errno(NULL, "open /dev/%s", name);
	return fd;
}

void devfs_setup(int rootfd, int rootless)
{
	int dev, fd;

	fd = resolve_in_root(rootfd, "/dev", S_IFDIR);
	mount_on_fd(fd, "tmpfs", "tmpfs", MS_NOSUID, "mode=755");
	close(fd);
	dev = resolve_in_root(rootfd, "/dev", 0); /* now the fresh tmpfs */

	for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
		char host[64];

		fd = openat(dev, nodes[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0)
			die_errno(NULL, "create /dev/%s", nodes[i]);
		close(fd);
		fd = openat(dev, nodes[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			die_errno(NULL, "open /dev/%s", nodes[i]);
		snprintf(host, sizeof host, "/dev/%s", nodes[i]);
		bind_tree(host, fd, 0, 0);
		close(fd);
	}

	fd = subdir(dev, "pts", 0755);
	mount_on_fd(fd, "devpts", "devpts", MS_NOSUID | MS_NOEXEC,
		    rootless ? "newinstance,ptmxmode=0666,mode=0620"
			     : "newinstance,ptmxmode=0666,mode=0620,gid=5");
	close(fd);

	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
		if (symlinkat(links[i][1], dev, links[i][0]) < 0)
			die_errno(NULL, "symlink /dev/%s", links[i][0]);

	fd = subdir(dev, "shm", 01777);
	mount_on_fd(fd, "shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	close(fd);
	close(dev);
}
