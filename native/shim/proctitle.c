/* proctitle.c: the environment's PID 1 shows as "berth-init" in ps/top,
 * not as the shim's whole command line with its host paths: the argv
 * area is overwritten once nothing points into it any more. */
#include "shim.h"

#include <string.h>
#include <sys/prctl.h>

static char *area;
static size_t area_len;

void proc_title_init(int argc, char **argv)
{
	if (argc < 1)
		return;
	area = argv[0];
	area_len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) + 1 - argv[0]);
}

void proc_title_set(const char *title)
{
	if (area && area_len > strlen(title)) {
		memset(area, 0, area_len);
		memcpy(area, title, strlen(title));
	}
	prctl(PR_SET_NAME, title, 0, 0, 0);
}
