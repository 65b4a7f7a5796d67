/* rmtree.c: `berth-shim rmtree [--userns ...] PATH`: rm -rf that copes with
 * the 000 directories overlayfs leaves (work/work) and, inside a user
 * namespace, with files owned by mapped sub-ids. Never crosses mounts. */
#define _XOPEN_SOURCE 700
#include "shim.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int changed;

/* Pre-order: give every directory u+rwx so it can be read and emptied.
 * An unreadable directory is not descended into, hence the outer loop. */
static int fix_mode(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)f;
	if ((type == FTW_D || type == FTW_DNR) && (st->st_mode & 0700) != 0700) {
		if (chmod(path, (st->st_mode | 0700) & 07777) < 0)
			die_errno("owned by a mapped sub-id? use --userns with the same maps", "chmod %s",
				  path);
		changed = 1;
	}
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)f;
	if (type == FTW_DNR || type == FTW_NS)
		die("rmtree: cannot read %s (owned by a mapped sub-id? use --userns with the same maps)",
		    path);
	if ((type == FTW_DP ? rmdir(path) : unlink(path)) < 0)
		die_errno(errno == EBUSY || errno == ENOTEMPTY ? "is something still mounted below it?"
			  : errno == EACCES || errno == EPERM
				  ? "owned by a mapped sub-id? use --userns with the same maps"
				  : NULL,
			  "remove %s", path);
	return 0;
}

static void rmtree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return; /* already gone */
		die_errno(NULL, "stat %s", path);
	}
	if (S_ISDIR(st.st_mode)) {
		do {
			changed = 0;
			if (nftw(path, fix_mode, 64, FTW_PHYS | FTW_MOUNT) < 0)
				die_errno(NULL, "walk %s", path);
		} while (changed);
	}
	if (nftw(path, remove_one, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
		die_errno(NULL, "walk %s", path);
}

static void rmtree_path(const struct opts *o)
{
	rmtree(o->path);
}

int cmd_rmtree(int argc, char **argv)
{
	static struct opts o;

	opts_parse_rmtree(&o, argc, argv);
	if (!o.ns.user) {
		rmtree(o.path);
		return 0;
	}
	return run_in_userns(&o, rmtree_path);
}
