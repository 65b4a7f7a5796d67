/* reap_wait.c: `berth-shim reap-wait -- CMD ARG...`: the waiting half of a
 * session reaper (src/api/session.ts, ADR 0070). stdin is a pipe from the
 * session's process, which writes '1' while the session may own environments
 * and '0' once it owns none. This blocks until that pipe closes (the process
 * ended, by any means, SIGKILL included), then exits at once if the last byte
 * was '0': the session ended cleanly and there is nothing to remove, so no
 * Node starts. Otherwise (it said nothing, or '1') it execs CMD (berth __reap
 * SESSION), which finds stdin at its end and removes what the session left. */
#include "shim.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* What the last byte the session sent means: exec CMD on EOF or not. Pure. */
static int reap_needed(int last)
{
	return last != '0';
}

int cmd_reap_wait(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[0], "--"))
		die("usage: berth-shim reap-wait -- CMD ARG... (the library starts it: src/api/session.ts)");
	/* Outlive the session's terminal and job: only the pipe's end matters. */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	int last = -1;
	char buf[64];
	for (;;) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
		if (n > 0) {
			last = (unsigned char)buf[n - 1];
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break; /* EOF, or an error: either way the session is gone */
	}
	if (!reap_needed(last))
		return 0;
	execv(argv[1], argv + 1);
	die_errno(NULL, "reap-wait: exec %s", argv[1]);
}
