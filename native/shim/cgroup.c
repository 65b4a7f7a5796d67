/* cgroup.c: --cgroup DIR: put a process into cgroups that the caller
 * created (and set limits on); berth-shim only joins them. */
#include "shim.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void cgroup_join(const struct opts *o, pid_t pid)
{
	for (int i = 0; i < o->n_cgroups; i++) {
		char path[4096], num[32];
		int fd, n;

		if (snprintf(path, sizeof path, "%s/cgroup.procs", o->cgroups[i]) >= (int)sizeof path)
			die("--cgroup path too long: %s", o->cgroups[i]);
		n = snprintf(num, sizeof num, "%d\n", (int)pid);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, num, (size_t)n) != n)
			die_errno("does the directory exist, and may this user write its cgroup.procs?",
				  "join cgroup %s", o->cgroups[i]);
		close(fd);
	}
}

/* `oom_kill N` in DIR/NAME, or 0. */
static unsigned long long oom_kill_count(const char *dir, const char *name)
{
	char path[4096], line[128];
	unsigned long long n = 0;
	FILE *f;

	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
		return 0;
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "oom_kill %llu", &n) == 1)
			break;
	fclose(f);
	return n;
}

int cgroup_oom_killed(const struct opts *o)
{
	for (int i = 0; i < o->n_cgroups; i++)
		if (oom_kill_count(o->cgroups[i], "memory.events") > 0 ||
		    oom_kill_count(o->cgroups[i], "memory.oom_control") > 0)
			return 1;
	return 0;
}
