/* options.c: the closed command-line interface (see README.md). */
#include "shim.h"

#include <fcntl.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static unsigned long parse_num(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-')
		die("invalid %s: '%s' (expected a non-negative integer)", what, s);
	return v;
}

static void parse_map(struct idmap *list, int *n, const char *s, const char *opt)
{
	char *end;
	struct idmap m;

	if (*n >= MAX_LIST)
		die("too many %s options (max %d)", opt, MAX_LIST);
	errno = 0;
	m.inside = strtoul(s, &end, 10);
	m.outside = strtoul(end, &end, 10);
	m.count = strtoul(end, &end, 10);
	while (*end == ' ')
		end++;
	if (errno || *end || m.count == 0)
		die("invalid %s '%s' (expected \"INSIDE OUTSIDE COUNT\")", opt, s);
	list[(*n)++] = m;
}

/* UID:GID[:G1,G2,...] */
static void parse_user(struct user_spec *u, char *s)
{
	char *gid = strchr(s, ':'), *groups;

	if (!gid)
		die("invalid --user '%s' (expected UID:GID[:G1,G2,...])", s);
	*gid++ = '\0';
	groups = strchr(gid, ':');
	if (groups)
		*groups++ = '\0';
	u->uid = (uid_t)parse_num(s, "--user uid");
	u->gid = (gid_t)parse_num(gid, "--user gid");
	u->ngroups = -1;
	if (groups && *groups) {
		u->ngroups = 0;
		for (char *g = strtok(groups, ","); g; g = strtok(NULL, ",")) {
			if (u->ngroups >= MAX_GROUPS)
				die("too many groups in --user (max %d)", MAX_GROUPS);
			u->groups[u->ngroups++] = (gid_t)parse_num(g, "--user group");
		}
	}
}

static void parse_bind(struct opts *o, char *s)
{
	struct bind *b;
	char *dst, *flag;

	if (o->n_binds >= MAX_LIST)
		die("too many --bind options (max %d)", MAX_LIST);
	b = &o->binds[o->n_binds++];
	dst = strchr(s, ':');
	if (!dst || dst == s || dst[1] != '/')
		die("invalid --bind '%s' (expected SRC:/DST[:ro])", s);
	*dst++ = '\0';
	flag = strchr(dst, ':');
	b->ro = 0;
	if (flag) {
		*flag++ = '\0';
		if (strcmp(flag, "ro") == 0)
			b->ro = 1;
		else if (strcmp(flag, "rw") != 0)
			die("invalid --bind flag '%s' (expected ro)", flag);
	}
	b->src = s;
	b->dst = dst;
}

static void add_env(struct opts *o, char *kv)
{
	if (!strchr(kv, '=') || kv[0] == '=')
		die("invalid --env '%s' (expected K=V)", kv);
	if (o->n_env >= MAX_LIST)
		die("too many --env options (max %d)", MAX_LIST);
	o->env[o->n_env++] = kv;
	o->env[o->n_env] = NULL;
}

static char *value(int argc, char **argv, int *i)
{
	if (*i + 1 >= argc)
		die("%s needs a value", argv[*i]);
	return argv[++*i];
}

static void defaults(struct opts *o)
{
	memset(o, 0, sizeof *o);
	o->user.ngroups = -1;
	o->pid = -1;
	o->notify_fd = -1;
	o->net_sync_fd = -1;
}

/* Options shared by run and exec. Returns 1 if argv[*i] was consumed. */
static int common_opt(struct opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	if (!strcmp(a, "--tty"))
		o->tty = 1;
	else if (!strcmp(a, "--winsize-file"))
		o->winsize_file = value(argc, argv, i);
	else if (!strcmp(a, "--interactive"))
		o->interactive = 1;
	else if (!strcmp(a, "--userns"))
		o->ns.user = 1;
	else if (!strcmp(a, "--env"))
		add_env(o, value(argc, argv, i));
	else if (!strcmp(a, "--cwd")) {
		o->cwd = value(argc, argv, i);
		if (o->cwd[0] != '/')
			die("--cwd must be absolute: '%s'", o->cwd);
	} else if (!strcmp(a, "--user"))
		parse_user(&o->user, value(argc, argv, i));
	else
		return 0;
	return 1;
}

/* --caps, --seccomp, --cgroup: shared by run and exec. */
static int confine_opt(struct opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	if (!strcmp(a, "--caps")) {
		o->caps = caps_parse(value(argc, argv, i));
		o->has_caps = 1;
	} else if (!strcmp(a, "--seccomp")) {
		const char *v = value(argc, argv, i);
		if (!strcmp(v, "default"))
			o->seccomp = SECCOMP_DEFAULT;
		else if (!strcmp(v, "unconfined"))
			o->seccomp = SECCOMP_UNCONFINED;
		else
			die("invalid --seccomp '%s' (expected default or unconfined)", v);
	} else if (!strcmp(a, "--cgroup")) {
		if (o->n_cgroups >= MAX_LIST)
			die("too many --cgroup options (max %d)", MAX_LIST);
		o->cgroups[o->n_cgroups++] = value(argc, argv, i);
	} else
		return 0;
	return 1;
}

static int map_opt(struct opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	if (!strcmp(a, "--uid-map"))
		parse_map(o->uid_map, &o->n_uid_map, value(argc, argv, i), a);
	else if (!strcmp(a, "--gid-map"))
		parse_map(o->gid_map, &o->n_gid_map, value(argc, argv, i), a);
	else
		return 0;
	return 1;
}

static void take_command(struct opts *o, int argc, char **argv, int i)
{
	if (i >= argc || strcmp(argv[i], "--") != 0 || i + 1 >= argc)
		die("missing '-- CMD [ARG...]'");
	o->argv = &argv[i + 1];
}

void opts_parse_run(struct opts *o, int argc, char **argv)
{
	int i;

	defaults(o);
	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i];
		if (common_opt(o, argc, argv, &i) || map_opt(o, argc, argv, &i) ||
		    confine_opt(o, argc, argv, &i))
			continue;
		if (!strcmp(a, "--pid-ns"))
			o->ns.pid = 1;
		else if (!strcmp(a, "--net-ns"))
			o->ns.net = 1;
		else if (!strcmp(a, "--ipc-ns"))
			o->ns.ipc = 1;
		else if (!strcmp(a, "--cgroup-ns"))
			o->ns.cgroup = 1;
		else if (!strcmp(a, "--state-dir"))
			o->state_dir = value(argc, argv, &i);
		else if (!strcmp(a, "--log"))
			o->log_path = value(argc, argv, &i);
		else if (!strcmp(a, "--log-max-size")) {
			o->log_max_size = parse_num(value(argc, argv, &i), "--log-max-size");
			if (o->log_max_size == 0)
				die("invalid --log-max-size: 0 (expected a number of bytes > 0)");
		} else if (!strcmp(a, "--log-max-files")) {
			unsigned long n = parse_num(value(argc, argv, &i), "--log-max-files");
			if (n < 1 || n > 1000)
				die("invalid --log-max-files: %lu (expected 1 to 1000)", n);
			o->log_max_files = (unsigned)n;
		} else if (!strcmp(a, "--detach"))
			o->detach = 1;
		else if (!strcmp(a, "--stdin-fifo"))
			o->stdin_fifo = value(argc, argv, &i);
		else if (!strcmp(a, "--notify-fd")) {
			unsigned long fd = parse_num(value(argc, argv, &i), "--notify-fd");
			if (fd < 3 || fd > 1024 || fcntl((int)fd, F_GETFD) < 0)
				die("invalid --notify-fd %lu (an open descriptor above 2)", fd);
			o->notify_fd = (int)fd;
			fcntl(o->notify_fd, F_SETFD, FD_CLOEXEC); /* the command must not inherit it */
		} else if (!strcmp(a, "--net-sync-fd")) {
			unsigned long fd = parse_num(value(argc, argv, &i), "--net-sync-fd");
			if (fd < 3 || fd > 1024 || fcntl((int)fd, F_GETFD) < 0)
				die("invalid --net-sync-fd %lu (an open descriptor above 2)", fd);
			o->net_sync_fd = (int)fd;
			fcntl(o->net_sync_fd, F_SETFD, FD_CLOEXEC); /* the command must not inherit it */
		} else if (!strcmp(a, "--exit-hook")) {
			if (o->n_exit_hook >= MAX_LIST)
				die("too many --exit-hook options (max %d)", MAX_LIST);
			o->exit_hook[o->n_exit_hook++] = value(argc, argv, &i);
			o->exit_hook[o->n_exit_hook] = NULL;
		} else if (!strcmp(a, "--hold-port")) {
			if (o->n_hold_port >= MAX_LIST)
				die("too many --hold-port options (max %d)", MAX_LIST);
			o->hold_port[o->n_hold_port++] = value(argc, argv, &i);
		} else if (!strcmp(a, "--lower")) {
			if (o->n_lower >= MAX_LIST)
				die("too many --lower options (max %d)", MAX_LIST);
			o->lower[o->n_lower++] = value(argc, argv, &i);
		} else if (!strcmp(a, "--upper"))
			o->upper = value(argc, argv, &i);
		else if (!strcmp(a, "--work"))
			o->work = value(argc, argv, &i);
		else if (!strcmp(a, "--rootfs"))
			o->rootfs = value(argc, argv, &i);
		else if (!strcmp(a, "--overlay-userxattr"))
			o->userxattr = 1;
		else if (!strcmp(a, "--hostname"))
			o->hostname = value(argc, argv, &i);
		else if (!strcmp(a, "--proc")) {
			const char *v = value(argc, argv, &i);
			if (!strcmp(v, "bind"))
				o->proc = PROC_BIND;
			else if (!strcmp(v, "new"))
				o->proc = PROC_NEW;
			else
				die("invalid --proc '%s' (expected bind or new)", v);
		} else if (!strcmp(a, "--sys")) {
			const char *v = value(argc, argv, &i);
			if (!strcmp(v, "bind-ro"))
				o->sys = SYS_BIND_RO;
			else if (!strcmp(v, "new-ro"))
				o->sys = SYS_NEW_RO;
			else
				die("invalid --sys '%s' (expected bind-ro or new-ro)", v);
		} else if (!strcmp(a, "--bind"))
			parse_bind(o, value(argc, argv, &i));
		else
			die("unknown run option '%s' (see native/README.md)", a);
	}
	take_command(o, argc, argv, i);
	if (!o->rootfs)
		die("run needs --rootfs DIR");
	if ((o->upper == NULL) != (o->work == NULL))
		die("--upper and --work go together");
	if (o->upper && o->n_lower == 0)
		die("--upper/--work need at least one --lower");
	if ((o->n_uid_map || o->n_gid_map) && !o->ns.user)
		die("--uid-map/--gid-map need --userns");
	if ((o->log_max_size || o->log_max_files) && !o->log_path)
		die("--log-max-size/--log-max-files need --log");
	if (o->log_max_files && !o->log_max_size)
		die("--log-max-files needs --log-max-size");
	if (o->proc == PROC_NEW && !o->ns.pid)
		die("--proc new needs --pid-ns (or use --proc bind)");
	if (o->sys == SYS_NEW_RO && o->ns.user && !o->ns.net)
		die("--sys new-ro needs --net-ns in a user namespace (or use --sys bind-ro)");
	if (o->net_sync_fd >= 0 && !o->ns.net)
		die("--net-sync-fd needs --net-ns");
	o->ns.mnt = 1;
	o->ns.uts = o->hostname != NULL;
	if (!o->log_max_files)
		o->log_max_files = 1;
	userns_default_maps(o);
}

void opts_parse_exec(struct opts *o, int argc, char **argv)
{
	int i;

	defaults(o);
	o->cwd_must_exist = 1;
	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i];
		if (common_opt(o, argc, argv, &i) || confine_opt(o, argc, argv, &i))
			continue;
		if (!strcmp(a, "--pid"))
			o->pid = (pid_t)parse_num(value(argc, argv, &i), "--pid");
		else
			die("unknown exec option '%s' (see native/README.md)", a);
	}
	take_command(o, argc, argv, i);
	if (o->pid <= 0)
		die("exec needs --pid PID");
}

void opts_parse_rmtree(struct opts *o, int argc, char **argv)
{
	int i;

	defaults(o);
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (map_opt(o, argc, argv, &i))
			continue;
		if (!strcmp(a, "--userns"))
			o->ns.user = 1;
		else if (a[0] == '-')
			die("unknown rmtree option '%s' (see native/README.md)", a);
		else if (o->path)
			die("rmtree takes exactly one PATH");
		else
			o->path = a;
	}
	if (!o->path)
		die("rmtree needs a PATH");
	if ((o->n_uid_map || o->n_gid_map) && !o->ns.user)
		die("--uid-map/--gid-map need --userns");
	userns_default_maps(o);
}

void opts_parse_unshare(struct opts *o, int argc, char **argv)
{
	int i;

	defaults(o);
	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (map_opt(o, argc, argv, &i))
			continue;
		die("unknown unshare option '%s' (see native/README.md)", argv[i]);
	}
	take_command(o, argc, argv, i);
	o->ns.user = 1;
	userns_default_maps(o);
}
