/* oom.c: how many processes the guest kernel's OOM killer has killed since boot (/proc/vmstat). */
#include <stdio.h>
#include <string.h>
#include "init.h"

unsigned long long oom_kills(void)
{
	char line[128];
	unsigned long long n = 0;
	FILE *f = fopen("/proc/vmstat", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "oom_kill %llu", &n) == 1)
			break;
	fclose(f);
	return n;
}
