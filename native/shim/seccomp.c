/* seccomp.c: --seccomp default: a classic BPF filter (no libseccomp),
 * installed as the last step before execve. Everything not in the table is
 * allowed; x32 syscalls and foreign architectures are refused. */
#include "shim.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#ifdef __x86_64__

enum rule { DENY, DENY_NEWUSER, NOSYS, PERSONA };

static const struct {
	int nr;
	enum rule rule;
} table[] = {
	{SYS_keyctl, DENY},
	{SYS_add_key, DENY},
	{SYS_request_key, DENY},
	{SYS_bpf, DENY},
	{SYS_ptrace, DENY},
	{SYS_mount, DENY},
	{SYS_umount2, DENY},
	{SYS_pivot_root, DENY},
	{SYS_kexec_load, DENY},
	{SYS_kexec_file_load, DENY},
	{SYS_init_module, DENY},
	{SYS_finit_module, DENY},
	{SYS_delete_module, DENY},
	{SYS_open_by_handle_at, DENY},
	{SYS_name_to_handle_at, DENY},
	{SYS_perf_event_open, DENY},
	{SYS_setns, DENY},
	{SYS_swapon, DENY},
	{SYS_swapoff, DENY},
	{SYS_reboot, DENY},
	{SYS_acct, DENY},
	{SYS_settimeofday, DENY},
	{SYS_clock_settime, DENY},
	{SYS_clock_adjtime, DENY},
	{SYS_adjtimex, DENY},
	{SYS_iopl, DENY},
	{SYS_ioperm, DENY},
	{SYS_lookup_dcookie, DENY},
	{SYS_quotactl, DENY},
	{SYS_userfaultfd, DENY},
	{SYS_fsopen, DENY},
	{SYS_fsmount, DENY},
	{SYS_fsconfig, DENY},
	{SYS_fspick, DENY},
	{SYS_move_mount, DENY},
	{SYS_open_tree, DENY},
	{SYS_mount_setattr, DENY},
	{SYS_syslog, DENY},
	{SYS_vhangup, DENY},
	{SYS_unshare, DENY_NEWUSER}, /* flags: args[0] */
	{SYS_clone, DENY_NEWUSER}, /* flags: args[0] on x86_64 */
	{SYS_clone3, NOSYS}, /* flags are in memory: libc falls back to clone */
	{SYS_personality, PERSONA},
};

/* personality values Docker/Podman allow (0xffffffff = query) */
static const unsigned personas[] = {0x0, 0x0008, 0x20000, 0x20008, 0xffffffff};

#define STMT(code, k) ((struct sock_filter)BPF_STMT(code, k))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP(code, k, jt, jf))
#define RET(v) STMT(BPF_RET | BPF_K, v)
#define EPERM_ SECCOMP_RET_ERRNO | EPERM
#define LD(field) STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define LD_ARG0 STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])) /* low half */

void seccomp_install(const struct opts *o)
{
	struct sock_filter f[8 + 9 * (sizeof table / sizeof table[0])];
	struct sock_fprog prog;
	unsigned n = 0;

	if (o->seccomp != SECCOMP_DEFAULT)
		return;
	f[n++] = LD(arch);
	f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = RET(SECCOMP_RET_KILL_PROCESS);
	f[n++] = LD(nr);
	f[n++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, __X32_SYSCALL_BIT, 0, 1);
	f[n++] = RET(EPERM_);
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		unsigned nr = (unsigned)table[i].nr, np = sizeof personas / sizeof personas[0];

		switch (table[i].rule) {
		case DENY:
			f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1);
			f[n++] = RET(EPERM_);
			break;
		case NOSYS:
			f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1);
			f[n++] = RET(SECCOMP_RET_ERRNO | ENOSYS);
			break;
		case DENY_NEWUSER: /* A is clobbered: both outcomes return */
			f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 4);
			f[n++] = LD_ARG0;
			f[n++] = JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWUSER, 0, 1);
			f[n++] = RET(EPERM_);
			f[n++] = RET(SECCOMP_RET_ALLOW);
			break;
		case PERSONA:
			f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, (unsigned char)(np + 3));
			f[n++] = LD_ARG0;
			for (unsigned j = 0; j < np; j++)
				f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, personas[j], (unsigned char)(np - j),
					      0);
			f[n++] = RET(EPERM_);
			f[n++] = RET(SECCOMP_RET_ALLOW);
			break;
		}
	}
	f[n++] = RET(SECCOMP_RET_ALLOW);
	prog = (struct sock_fprog){.len = (unsigned short)n, .filter = f};
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		die_errno(NULL, "install the seccomp filter");
}

#else

void seccomp_install(const struct opts *o)
{
	if (o->seccomp == SECCOMP_DEFAULT)
		die("--seccomp default is only implemented for x86_64");
}

#endif
