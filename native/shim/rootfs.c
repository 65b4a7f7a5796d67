/* rootfs.c: the new root: overlayfs (or a self-bind) and pivot_root. */
#include "shim.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

static void check_overlay_path(const char *p)
{
	if (strpbrk(p, ",:\\"))
		die("overlay path contains ',', ':' or '\\': %s (rename the directory)", p);
}

void rootfs_mount(const struct opts *o)
{
	char data[4096];
	size_t n = 0;

	if (o->n_lower == 0) { /* plain directory: pivot_root needs a mount */
		if (mount(o->rootfs, o->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
			die_errno(NULL, "bind %s onto itself", o->rootfs);
		return;
	}
	n += (size_t)snprintf(data + n, sizeof data - n, "lowerdir=");
	for (int i = 0; i < o->n_lower; i++) {
		check_overlay_path(o->lower[i]);
		n += (size_t)snprintf(data + n, sizeof data - n, "%s%s", i ? ":" : "", o->lower[i]);
	}
	if (o->upper) {
		check_overlay_path(o->upper);
		check_overlay_path(o->work);
		n += (size_t)snprintf(data + n, sizeof data - n, ",upperdir=%s,workdir=%s", o->upper,
				      o->work);
	}
	if (o->userxattr)
		n += (size_t)snprintf(data + n, sizeof data - n, ",userxattr");
	if (n >= sizeof data)
		die("overlay mount options too long (%zu bytes)", n);
	if (mount("overlay", o->rootfs, "overlay", 0, data) < 0)
		die_errno(o->ns.user && !o->userxattr ? "rootless overlay needs --overlay-userxattr"
						      : "do --lower/--upper/--work exist, and are upper and "
							"work on one filesystem?",
			  "mount overlay on %s", o->rootfs);
}

/* pivot_root(".", ".") stacks the old root on top of the new one; the
 * detach then leaves only the new root visible. */
void rootfs_pivot(const char *rootfs)
{
	if (chdir(rootfs) < 0)
		die_errno(NULL, "chdir %s", rootfs);
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		die_errno(NULL, "pivot_root %s", rootfs);
	if (umount2(".", MNT_DETACH) < 0)
		die_errno(NULL, "detach the old root");
	if (chdir("/") < 0)
		die_errno(NULL, "chdir /");
}
