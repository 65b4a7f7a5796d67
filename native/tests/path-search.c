/* path-search: prints what the guest init's path_search() (init/path_search.c) finds for argv[1]
 * with PATH argv[2] ("-" for an unset PATH), or "(none)"; run by
 * test/unit/drivers/guest-path-search.test.ts. A test program: not installed. */
#include "../init/init.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	char buf[PATH_MAX];
	const char *found = path_search(argv[1], strcmp(argv[2], "-") ? argv[2] : NULL, buf, sizeof buf);
	printf("%s\n", found ? found : "(none)");
	return 0;
}
