/* userns.c: user namespace creation and uid/gid maps, and the sync point.
 * The child unshares CLONE_NEWUSER and waits; the parent (still outside)
 * joins the --cgroup dirs, writes the maps, either directly or through
 * newuidmap/newgidmap, and lets the child go on. Without --userns the
 * same sync point is used only for --cgroup. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NEWUIDMAP "/usr/bin/newuidmap"
#define NEWGIDMAP "/usr/bin/newgidmap"

void userns_default_maps(struct opts *o)
{
	if (!o->ns.user)
		return;
	if (o->n_uid_map == 0)
		o->uid_map[o->n_uid_map++] = (struct idmap){0, getuid(), 1};
	if (o->n_gid_map == 0)
		o->gid_map[o->n_gid_map++] = (struct idmap){0, getgid(), 1};
}

void userns_sync_init(struct userns_sync *s)
{
	if (pipe2(s->req, O_CLOEXEC) < 0 || pipe2(s->ack, O_CLOEXEC) < 0)
		die_errno(NULL, "pipe");
}

void userns_child_enter(struct userns_sync *s, int newuser)
{
	char c = 'U';

	close(s->req[0]);
	close(s->ack[1]);
	if (newuser && unshare(CLONE_NEWUSER) < 0)
		die_errno("are unprivileged user namespaces enabled? see sysctl user.max_user_namespaces",
			  "unshare(CLONE_NEWUSER)");
	if (write_all(s->req[1], &c, 1) < 0)
		die_errno(NULL, "write user namespace request");
	close(s->req[1]);
	if (read(s->ack[0], &c, 1) != 1 || c != 'A')
		die("user namespace maps were not written by the monitor");
	close(s->ack[0]);
	if (!newuser)
		return;
	if (setresgid(0, 0, 0) < 0)
		die_errno("--gid-map must map id 0", "setresgid(0) in the user namespace");
	if (setresuid(0, 0, 0) < 0)
		die_errno("--uid-map must map id 0", "setresuid(0) in the user namespace");
}

static int only_own_id(const struct idmap *m, int n, unsigned long id)
{
	return n == 1 && m[0].count == 1 && m[0].outside == id;
}

static void write_proc(pid_t pid, const char *file, const char *data)
{
	char path[64];
	int fd;

	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno(NULL, "open %s", path);
	if (write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		die_errno("the maps must not overlap and must only use ids you own", "write %s", path);
	close(fd);
}

static void write_map_direct(pid_t pid, const char *file, const struct idmap *m, int n)
{
	char buf[MAX_LIST * 64];
	size_t len = 0;

	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%lu %lu %lu\n", m[i].inside,
					m[i].outside, m[i].count);
	write_proc(pid, file, buf);
}

/* Run newuidmap/newgidmap; fold its stderr into our single error line. */
static void run_idmap_tool(const char *tool, pid_t pid, const struct idmap *m, int n)
{
	char nums[MAX_LIST * 3 + 1][24], err[512] = "";
	char *argv[MAX_LIST * 3 + 3];
	int errp[2], status, k = 0;
	size_t len = 0;
	pid_t child;

	argv[k++] = (char *)tool;
	snprintf(nums[0], sizeof nums[0], "%d", (int)pid);
	argv[k++] = nums[0];
	for (int i = 0; i < n; i++) {
		unsigned long v[3] = {m[i].inside, m[i].outside, m[i].count};
		for (int j = 0; j < 3; j++) {
			snprintf(nums[k - 1], sizeof nums[0], "%lu", v[j]);
			argv[k] = nums[k - 1];
			k++;
		}
	}
	argv[k] = NULL;
	if (pipe2(errp, O_CLOEXEC) < 0)
		die_errno(NULL, "pipe");
	child = fork();
	if (child < 0)
		die_errno(NULL, "fork");
	if (child == 0) {
		dup2(errp[1], 2);
		execv(tool, argv);
		dprintf(2, "cannot execute %s: %s", tool, strerror(errno));
		_exit(127);
	}
	close(errp[1]);
	for (ssize_t r; (r = read(errp[0], err + len, sizeof err - 1 - len)) > 0;)
		len += (size_t)r;
	err[len] = '\0';
	close(errp[0]);
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			die_errno(NULL, "waitpid %s", tool);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("%s failed: %s (are the ranges listed in /etc/subuid and /etc/subgid for this user? "
		    "package uidmap)",
		    tool, len ? err : "no message");
}

int userns_parent_wait(struct userns_sync *s)
{
	char c;
	ssize_t n;

	close(s->req[1]);
	close(s->ack[0]);
	while ((n = read(s->req[0], &c, 1)) < 0 && errno == EINTR)
		;
	close(s->req[0]);
	if (n != 1) { /* the child failed before unsharing; it reports why */
		close(s->ack[1]);
		return -1;
	}
	return 0;
}

void userns_parent_map(struct userns_sync *s, pid_t pid, const struct opts *o)
{
	char c = 'A';
	int direct = geteuid() == 0 || (only_own_id(o->uid_map, o->n_uid_map, getuid()) &&
					only_own_id(o->gid_map, o->n_gid_map, getgid()));

	if (o->ns.user && direct) {
		if (geteuid() != 0)
			write_proc(pid, "setgroups", "deny");
		write_map_direct(pid, "uid_map", o->uid_map, o->n_uid_map);
		write_map_direct(pid, "gid_map", o->gid_map, o->n_gid_map);
	} else if (o->ns.user) {
		run_idmap_tool(NEWUIDMAP, pid, o->uid_map, o->n_uid_map);
		run_idmap_tool(NEWGIDMAP, pid, o->gid_map, o->n_gid_map);
	}
	if (write_all(s->ack[1], &c, 1) < 0)
		die_errno(NULL, "write user namespace ack");
	close(s->ack[1]);
}

int run_in_userns(const struct opts *o, void (*body)(const struct opts *o))
{
	struct userns_sync us;
	pid_t pid;
	int status;

	userns_sync_init(&us);
	pid = fork();
	if (pid < 0)
		die_errno(NULL, "fork");
	if (pid == 0) {
		userns_child_enter(&us, 1);
		body(o);
		_exit(0);
	}
	if (userns_parent_wait(&us) == 0) /* else it failed before unsharing and said why */
		userns_parent_map(&us, pid, o);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die_errno(NULL, "waitpid");
	return exit_code_of(status);
}
