/* launch.c: the steps shared by run and exec once inside the new root:
 * stdio, working directory, capability bounding set, identity, capabilities,
 * no_new_privs, seccomp (last), environment, execvpe. */
#include "shim.h"

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <unistd.h>

extern char **environ;

void child_stdio(const struct child_io *io)
{
	if (setsid() < 0) /* own session: no double signals from the terminal */
		die_errno(NULL, "setsid");
	if (io->ctty && ioctl(io->in, TIOCSCTTY, 0) < 0)
		die_errno(NULL, "make the pty the controlling terminal");
	if (dup2(io->in, 0) < 0 || dup2(io->out, 1) < 0 || dup2(io->err, 2) < 0)
		die_errno(NULL, "dup2 stdio");
}

static void become_user(const struct user_spec *u)
{
	if (u->ngroups >= 0) {
		if (setgroups((size_t)u->ngroups, u->groups) < 0)
			die_errno("groups must be mapped in --gid-map; setgroups is denied with a single-id "
				  "map",
				  "setgroups");
	} else if (setgroups(0, NULL) < 0 && errno != EPERM) {
		die_errno(NULL, "setgroups(0)");
	}
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		die_errno("is the gid mapped? see --gid-map", "setresgid(%u)", (unsigned)u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		die_errno("is the uid mapped? see --uid-map", "setresuid(%u)", (unsigned)u->uid);
}

void launch(const struct opts *o)
{
	const char *dir = o->cwd ? o->cwd : "/";
	char **argv = o->argv;

	if (o->cwd_must_exist) {
		/* As Docker's exec: the directory is not created; failing to enter it is exit 126. */
		if (chdir(dir) < 0)
			sync_child_fail(126,
					"chdir to cwd \"%s\" failed: %s (exec does not create its working "
					"directory: create it first, or pick an existing one with -w)",
					dir, strerror(errno));
	} else {
		mkdir_p(dir, 0755);
		if (chdir(dir) < 0)
			die_errno(NULL, "chdir %s", dir);
	}
	caps_bound(o);
	become_user(&o->user);
	caps_apply(o);
	if ((o->has_caps || o->seccomp == SECCOMP_DEFAULT) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die_errno(NULL, "set no_new_privs");
	seccomp_install(o);
	environ = (char **)o->env; /* exactly --env; execvpe searches PATH from environ */
	execvpe(argv[0], argv, environ);
	if (errno == ENOENT)
		sync_child_fail(127, "%s: command not found", argv[0]);
	if (errno == EACCES)
		sync_child_fail(126, "%s: permission denied", argv[0]);
	sync_child_fail(126, "%s: cannot execute: %s", argv[0], strerror(errno));
}
