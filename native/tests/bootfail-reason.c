/* bootfail-reason: feeds standard input to berth-vmmon's console tail in chunks of argv[1] bytes
 * (default 4096) and prints boot_failure_reason(), so that test/unit/drivers/boot-failure-reason
 * checks the C monitor against the same cases as the Node one. A test program: not installed. */
#include "../vmmon/vmmon.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t chunk = argc > 1 ? strtoul(argv[1], NULL, 10) : 4096;
	char buf[65536], reason[1024];
	ssize_t n;

	if (chunk == 0 || chunk > sizeof buf)
		chunk = sizeof buf;
	while ((n = read(0, buf, chunk)) > 0)
		console_tail_add(buf, (size_t)n);
	if (n < 0) {
		perror("read");
		return 1;
	}
	boot_failure_reason(reason, sizeof reason);
	printf("%s\n", reason);
	return 0;
}
