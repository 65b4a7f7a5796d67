/* caps.c: --caps LIST: keep exactly these capabilities in the bounding,
 * inheritable, permitted and effective sets (raw capget/capset, no libcap).
 * caps_bound() runs while still privileged (drops the rest of the bounding
 * set, sets inheritable), caps_apply() after the user switch. */
#include "shim.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const names[] = {
	"CHOWN",
	"DAC_OVERRIDE",
	"DAC_READ_SEARCH",
	"FOWNER",
	"FSETID",
	"KILL",
	"SETGID",
	"SETUID",
	"SETPCAP",
	"LINUX_IMMUTABLE",
	"NET_BIND_SERVICE",
	"NET_BROADCAST",
	"NET_ADMIN",
	"NET_RAW",
	"IPC_LOCK",
	"IPC_OWNER",
	"SYS_MODULE",
	"SYS_RAWIO",
	"SYS_CHROOT",
	"SYS_PTRACE",
	"SYS_PACCT",
	"SYS_ADMIN",
	"SYS_BOOT",
	"SYS_NICE",
	"SYS_RESOURCE",
	"SYS_TIME",
	"SYS_TTY_CONFIG",
	"MKNOD",
	"LEASE",
	"AUDIT_WRITE",
	"AUDIT_CONTROL",
	"SETFCAP",
	"MAC_OVERRIDE",
	"MAC_ADMIN",
	"SYSLOG",
	"WAKE_ALARM",
	"BLOCK_SUSPEND",
	"AUDIT_READ",
	"PERFMON",
	"BPF",
	"CHECKPOINT_RESTORE",
};
#define NCAPS (sizeof names / sizeof names[0])

/* "CHOWN,cap_kill,..." (case-insensitive, CAP_ optional), "all", or "". */
unsigned long long caps_parse(const char *list)
{
	char buf[4096], *tok, *save;
	unsigned long long mask = 0;

	if (!strcasecmp(list, "all"))
		return (1ULL << NCAPS) - 1;
	if (snprintf(buf, sizeof buf, "%s", list) >= (int)sizeof buf)
		die("--caps list too long");
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const char *n = strncasecmp(tok, "CAP_", 4) ? tok : tok + 4;
		size_t i;

		for (i = 0; i < NCAPS && strcasecmp(n, names[i]); i++)
			;
		if (i == NCAPS)
			die("unknown capability '%s' in --caps (names as in capabilities(7), e.g. "
			    "CHOWN,NET_BIND_SERVICE, or all)",
			    tok);
		mask |= 1ULL << i;
	}
	return mask;
}

static void get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};

	if (syscall(SYS_capget, &h, d) < 0)
		die_errno(NULL, "capget");
}

static void set(unsigned long long eff, unsigned long long perm, unsigned long long inh)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	for (int i = 0; i < 2; i++) {
		d[i].effective = (__u32)(eff >> (32 * i));
		d[i].permitted = (__u32)(perm >> (32 * i));
		d[i].inheritable = (__u32)(inh >> (32 * i));
	}
	if (syscall(SYS_capset, &h, d) < 0)
		die_errno(NULL, "capset");
}

static unsigned long long join(__u32 lo, __u32 hi)
{
	return (unsigned long long)hi << 32 | lo;
}

void caps_bound(const struct opts *o)
{
	struct __user_cap_data_struct d[2];

	if (!o->has_caps)
		return;
	for (int cap = 0; cap < 64; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		if (r < 0)
			break; /* beyond the kernel's last capability */
		if (r == 1 && !(o->caps >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			die_errno("--caps needs privileges (root, or root in a user namespace)",
				  "drop capability %d from the bounding set", cap);
	}
	/* inheritable survives the switch to a non-root user; permitted does not */
	get(d);
	set(join(d[0].effective, d[1].effective), join(d[0].permitted, d[1].permitted),
	    o->caps & join(d[0].permitted, d[1].permitted));
}

void caps_apply(const struct opts *o)
{
	struct __user_cap_data_struct d[2];
	unsigned long long keep;

	if (!o->has_caps)
		return;
	get(d);
	keep = o->caps & join(d[0].permitted, d[1].permitted);
	set(keep, keep, o->caps & join(d[0].inheritable, d[1].inheritable));
}
