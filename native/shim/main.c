/* main.c: berth-shim run|exec|rmtree|unshare|reap-wait (see README.md). */
#include "shim.h"

#include <string.h>

int main(int argc, char **argv)
{
	proc_title_init(argc, argv);
	ensure_std_fds();
	if (argc < 2)
		die("usage: berth-shim run|exec|rmtree|unshare|reap-wait [OPTIONS] (see native/README.md)");
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "exec"))
		return cmd_exec(argc - 2, argv + 2);
	if (!strcmp(argv[1], "rmtree"))
		return cmd_rmtree(argc - 2, argv + 2);
	if (!strcmp(argv[1], "unshare"))
		return cmd_unshare(argc - 2, argv + 2);
	if (!strcmp(argv[1], "reap-wait"))
		return cmd_reap_wait(argc - 2, argv + 2);
	die("unknown command '%s' (expected run, exec, rmtree, unshare or reap-wait)", argv[1]);
}
