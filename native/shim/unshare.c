/* unshare.c: `berth-shim unshare [--uid-map ...] [--gid-map ...] -- CMD ARG...`:
 * run CMD as root of a new user namespace with those maps (the caller's
 * sub-ids), like `podman unshare`. Used to chown unpacked layers to the
 * image's owners and to build disks whose files carry them. Nothing else is
 * unshared; CMD's exit status is returned. */
#include "shim.h"

#include <errno.h>
#include <unistd.h>

static void exec_command(const struct opts *o)
{
	execvp(o->argv[0], o->argv);
	die_errno(errno == ENOENT ? "is it installed and on PATH?" : NULL, "exec %s", o->argv[0]);
}

int cmd_unshare(int argc, char **argv)
{
	static struct opts o;

	opts_parse_unshare(&o, argc, argv);
	return run_in_userns(&o, exec_command);
}
