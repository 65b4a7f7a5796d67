/* unshare.c: `berth-shim unshare [--uid-map ...] [--gid-map ...] -- CMD ARG...`:
 * run CMD as root of a new user namespace with those maps (the caller's
 * sub-ids), like `podman unshare`. Used to chown unpacked layers to the
 * image's owners and to build disks whose files carry them. Nothing else is
 * unshared; CMD's exit status is returned. */
#include "shim.h"

#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

int cmd_unshare(int argc, char **argv)
{
	static struct opts o;
	struct userns_sync us;
	pid_t pid;
	int status;

	opts_parse_unshare(&o, argc, argv);
	userns_sync_init(&us);
	pid = fork();
	if (pid < 0)
		die_errno(NULL, "fork");
	if (pid == 0) {
		userns_child_enter(&us, 1);
		execvp(o.argv[0], o.argv);
		die_errno(errno == ENOENT ? "is it installed and on PATH?" : NULL, "exec %s", o.argv[0]);
	}
	if (userns_parent_wait(&us) == 0) /* else it failed before unsharing and said why */
		userns_parent_map(&us, pid, &o);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die_errno(NULL, "waitpid");
	return exit_code_of(status);
}
