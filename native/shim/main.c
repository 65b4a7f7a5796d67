/* main.c: berth-shim run|exec|rmtree|unshare (see README.md). */
#include "shim.h"

#include <string.h>

int main(int argc, char **argv)
{
	proc_title_init(argc, argv);
	ensure_std_fds();
	if (argc < 2)
		die("usage: berth-shim run|exec|rmtree|unshare [OPTIONS] (see native/README.md)");
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "exec"))
		return cmd_exec(argc - 2, argv + 2);
	if (!strcmp(argv[1], "rmtree"))
		return cmd_rmtree(argc - 2, argv + 2);
	if (!strcmp(argv[1], "unshare"))
		return cmd_unshare(argc - 2, argv + 2);
	die("unknown command '%s' (expected run, exec, rmtree or unshare)", argv[1]);
}
