/* binds.c: bind mounts into the new root, never escaping it.
 * Targets are resolved with openat2(RESOLVE_IN_ROOT) beneath the rootfs fd,
 * so a symlink in the image ("/x -> /etc") stays inside the rootfs. Trees
 * are cloned with open_tree(), made read-only (recursively) while still
 * detached, then attached onto the target fd with move_mount(): the same
 * as mounting on /proc/self/fd/N, and never briefly writable. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int open_in_root(int rootfd, const char *rel)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, rootfd, rel, &how, sizeof how);
}

int resolve_in_root(int rootfd, const char *path, mode_t create)
{
	char buf[4096], *slash, *name;
	const char *rel = path;
	int fd, pfd;

	while (*rel == '/')
		rel++;
	if (!*rel)
		rel = ".";
	fd = open_in_root(rootfd, rel);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT || !create)
		die_errno(NULL, "resolve %s inside the rootfs", path);

	if (snprintf(buf, sizeof buf, "%s", rel) >= (int)sizeof buf)
		die("path too long: %s", path);
	slash = strrchr(buf, '/');
	if (slash) {
		*slash = '\0';
		name = slash + 1;
		pfd = resolve_in_root(rootfd, buf, S_IFDIR);
	} else {
		name = buf;
		pfd = open_in_root(rootfd, ".");
		if (pfd < 0)
			die_errno(NULL, "open rootfs");
	}
	if (create == S_IFDIR) {
		if (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST)
			die_errno(NULL, "mkdir %s inside the rootfs", path);
	} else {
		int f = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (f < 0 && errno != EEXIST)
			die_errno(NULL, "create %s inside the rootfs", path);
		if (f >= 0)
			close(f);
	}
	close(pfd);
	fd = open_in_root(rootfd, rel);
	if (fd < 0)
		die_errno("a dangling symlink in the image?", "resolve %s inside the rootfs", path);
	return fd;
}

void mount_on_fd(int target_fd, const char *what, const char *fstype, unsigned long flags, const char *data)
{
	char path[64];

	snprintf(path, sizeof path, "/proc/self/fd/%d", target_fd);
	if (mount(what, path, fstype, flags, data) < 0)
		die_errno(NULL, "mount %s (%s)", fstype, data ? data : "");
}

void bind_tree(const char *src, int target_fd, int recursive, int ro)
{
	bind_at(AT_FDCWD, src, src, target_fd, recursive, ro);
}

void bind_at(int dirfd, const char *src, const char *what, int target_fd, int recursive, int ro)
{
	unsigned rec = recursive ? AT_RECURSIVE : 0;
	int tree;

	tree = (int)syscall(SYS_open_tree, dirfd, src,
			    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec | (*src ? 0 : AT_EMPTY_PATH));
	if (tree < 0)
		die_errno(NULL, "bind %s: open_tree", what);
	if (ro) {
		struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
		if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | rec, &attr, sizeof attr) < 0)
			die_errno(NULL, "bind %s: make read-only", what);
	}
	if (syscall(SYS_move_mount, tree, "", target_fd, "",
		    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		die_errno(NULL, "bind %s: move_mount", what);
	close(tree);
}

void binds_mount_system(const struct opts *o, int rootfd)
{
	int fd;

	if (o->proc == PROC_BIND) {
		fd = resolve_in_root(rootfd, "/proc", S_IFDIR);
		bind_tree("/proc", fd, 1, 0);
		close(fd);
	}
	if (o->proc == PROC_NEW)
		procfs_mount_new(rootfd);
	if (o->sys == SYS_BIND_RO) {
		fd = resolve_in_root(rootfd, "/sys", S_IFDIR);
		bind_tree("/sys", fd, 1, 1);
		close(fd);
	}
	if (o->sys == SYS_NEW_RO) { /* in a user ns: needs its own net ns */
		fd = resolve_in_root(rootfd, "/sys", S_IFDIR);
		mount_on_fd(fd, "sysfs", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
		close(fd);
	}
}

void binds_mount_user(const struct opts *o, int rootfd)
{
	for (int i = 0; i < o->n_binds; i++) {
		const struct bind *b = &o->binds[i];
		struct stat st;
		int fd;

		if (stat(b->src, &st) < 0)
			die_errno(NULL, "--bind source %s", b->src);
		fd = resolve_in_root(rootfd, b->dst, S_ISDIR(st.st_mode) ? S_IFDIR : S_IFREG);
		bind_tree(b->src, fd, 1, b->ro);
		close(fd);
	}
}
