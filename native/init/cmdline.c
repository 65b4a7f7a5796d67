/* The berth.* keys of the kernel command line (the guest boot contract). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "init.h"

static void copy(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		die("kernel command line value too long: %.*s", (int)n, v);
	memcpy(dst, v, n);
	dst[n] = 0;
}

/* The value of KEY= (e.g. "berth.net=") on the kernel command line into OUT; 0 when it is absent
 * or does not fit. For the keys read after boot by one part of the init (net.c, bulk.c). */
int cmdline_value(const char *key, char *out, size_t cap)
{
	char buf[4096];
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	size_t k = strlen(key);
	for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n"))
		if (strncmp(tok, key, k) == 0 && strlen(tok + k) < cap) {
			strcpy(out, tok + k);
			return 1;
		}
	return 0;
}

void read_boot_args(struct boot_args *a)
{
	memset(a, 0, sizeof *a);
	strcpy(a->rootfstype, "ext4");
	char buf[4096];
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open /proc/cmdline failed (is /proc mounted?)");
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		die("read /proc/cmdline failed");
	buf[n] = 0;
	for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n")) {
		char *eq = strchr(tok, '=');
		if (!eq || strncmp(tok, "berth.", 6) != 0)
			continue;
		size_t klen = (size_t)(eq - tok);
		const char *v = eq + 1;
		size_t vlen = strlen(v);
		if (klen == 10 && !strncmp(tok, "berth.root", klen))
			copy(a->root, sizeof a->root, v, vlen);
		else if (klen == 16 && !strncmp(tok, "berth.rootfstype", klen))
			copy(a->rootfstype, sizeof a->rootfstype, v, vlen);
		else if (klen == 9 && !strncmp(tok, "berth.ctl", klen))
			copy(a->ctl, sizeof a->ctl, v, vlen);
		else if (klen == 14 && !strncmp(tok, "berth.hostname", klen))
			copy(a->hostname, sizeof a->hostname, v, vlen);
		else if (klen == 15 && !strncmp(tok, "berth.disk_size", klen))
			a->disk_size = strtoull(v, NULL, 10);
		else if (klen == 13 && !strncmp(tok, "berth.modules", klen))
			copy(a->modules, sizeof a->modules, v, vlen);
	}
	if (!a->root[0])
		die("berth.root= missing from the kernel command line");
	if (!a->ctl[0])
		die("berth.ctl= missing from the kernel command line");
}
