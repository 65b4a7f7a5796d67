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
