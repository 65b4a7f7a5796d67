#!/usr/bin/env bash
# Smoke tests for the container options of native/bin/berth-shim (pid/net/
# ipc/cgroup namespaces, --proc new, --sys new-ro, --caps, --seccomp,
# --cgroup, exec --pid into all of them), for real: as root and rootless.
#   sudo bash test/native/container-smoke.sh   # exits non-zero on any failure
# Needs what smoke.sh needs, plus the cgroup v1 pids controller at
# /sys/fs/cgroup/pids. Creates the user berth-smoke (with /etc/subuid range)
# if missing; leaves no mounts, processes or cgroup directories behind.
set -u

CGROOT=/sys/fs/cgroup/pids
CG=$CGROOT/berth-smoke-test
SKIPS=0
PODMAN_CAPS=CHOWN,DAC_OVERRIDE,FOWNER,FSETID,KILL,NET_BIND_SERVICE,SETFCAP,SETGID,SETPCAP,SETUID,SYS_CHROOT
PODMAN_MASK=00000000800405fb

extra_precheck() {
	[ -e "$CGROOT/cgroup.procs" ] || { echo "no cgroup v1 pids controller at $CGROOT" >&2; return 1; }
}
cg_rmdir() { # the last processes of a killed environment may take a moment
	[ -d "$1" ] || return 0
	for _ in $(seq 100); do rmdir "$1" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
extra_cleanup() {
	for p in $(cat "$CG/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	cg_rmdir "$CG"
}
. "$(dirname "$0")/lib.sh"
smoke_init berth-csmoke subids

skip() { echo "skip - $MODE: $1"; SKIPS=$((SKIPS + 1)); }
hasnt() { ! grep -Eq -- "$2" "$1"; }
line() { sed -n "$2p" "$1"; }

# the container options used by most checks
CT=(--pid-ns --net-ns --ipc-ns --proc new)

suite() {
	begin_suite "$1"
	mkdir -p "$CG"
	if [ "$MODE" = rootless ]; then
		chown -R "$SMOKE_USER" "$CG" # the CLI's job: a delegated cgroup
	fi
	local rc

	# --- pid namespace: PID 1 is the shim's init, CMD is not
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" -- sh -c 'echo "self=$$"; ps -o pid,ppid,comm >/tmp/ps; cat /tmp/ps' >"$D/out"
	expect_rc "--pid-ns run" 0 $?
	check "CMD is not PID 1 (\$\$ = 2)" test "$(line "$D/out" 1)" = self=2
	check "PID 1 is the init (berth-init)" test "$(awk '$1==1 {print $3}' "$D/out")" = berth-init
	check "ps shows only init, CMD and ps" test "$(awk 'NR>2 {print $1":"$2":"$3}' "$D/out" | tr '\n' ' ')" = "1:0:berth-init 2:1:sh 3:2:ps "
	check "pids.json child is the init's host pid" \
		grep -Eq '^\{"monitor":[0-9]+,"child":[0-9]+,"childStart":[0-9]+,"startedAt":"[0-9T:.-]+Z"\}$' "$D/state/pids.json"
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" -- sh -c '
		for i in 1 2 3 4 5; do (sleep 0.1 &); (true &); done
		(sleep 3 &); sleep 0.2; ps -o pid,ppid,comm | awk "\$3==\"sleep\" && \$2!=2 {print \$2}" | sort -u
		sleep 0.6; ps -o stat,comm | grep -c "^Z"' >"$D/out"
	check "orphans are adopted by PID 1" test "$(line "$D/out" 1)" = 1
	check "zombies are reaped by PID 1" test "$(line "$D/out" 2)" = 0

	# --- exit codes through the init
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" -- sh -c 'exit 7'; expect_rc "exit 7" 7 $?
	check "exit.json has exitCode 7" has "$D/state/exit.json" '"exitCode":7,"signal":null'
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" -- nosuchcmd 2>"$D/err"; expect_rc "missing command" 127 $?
	check "missing command message" grep -qx 'berth: nosuchcmd: command not found' "$D/err"
	check "exit.json carries the error" has "$D/state/exit.json" '"exitCode":127,.*"error":"nosuchcmd: command not found"'
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" -- /etc/passwd 2>"$D/err"; expect_rc "non-executable command" 126 $?
	check "non-executable message" grep -qx 'berth: /etc/passwd: permission denied' "$D/err"
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" -- sh -c 'kill -9 $$'; expect_rc "CMD killed by SIGKILL" 137 $?
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" --bind "$D/nonexistent:/x" -- true 2>"$D/err"
	expect_rc "setup failure inside the init" 125 $?
	check "setup failure is one line 'berth: ...'" test "$(wc -l <"$D/err")" = 1 -a -n "$(grep '^berth: --bind source' "$D/err")"
	# --- --net-sync-fd: the caller must answer "1" (here it never does: EOF), and it needs --net-ns
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" --net-sync-fd 3 -- true 3<>/dev/null 2>"$D/err"; expect_rc "--net-sync-fd without an answer" 125 $?
	check "no answer: one line, network not set up" grep -qx 'berth: the network was not set up (berth gave up on it)' "$D/err"
	fresh; shim "${SUBMAPS[@]}" --pid-ns --proc new --net-sync-fd 3 -- true 3</dev/null 2>"$D/err"; expect_rc "--net-sync-fd without --net-ns" 125 $?
	check "--net-sync-fd refusal is one line" grep -qx 'berth: --net-sync-fd needs --net-ns' "$D/err"
	fresh; shim "${SUBMAPS[@]}" --proc new -- true 2>"$D/err"; expect_rc "--proc new without --pid-ns" 125 $?
	check "--proc new refusal is one line" grep -qx 'berth: --proc new needs --pid-ns.*' "$D/err"
	if [ "$MODE" = rootless ]; then
		fresh; shim "${SUBMAPS[@]}" --pid-ns --sys new-ro -- true 2>"$D/err"; expect_rc "--sys new-ro without --net-ns (rootless)" 125 $?
		check "--sys new-ro refusal is one line" grep -qx 'berth: --sys new-ro needs --net-ns.*' "$D/err"
	fi
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" -- sleep 30 &
	wait_for "$D/state/pids.json"; sleep 0.3
	kill -TERM "$(json_num "$D/state/pids.json" monitor)"
	wait $!; expect_rc "SIGTERM forwarded monitor -> init -> CMD" 143 $?
	fresh
	local tcmd="$SHIM run $NSOPTS ${SUBMAPS[*]@Q} ${CT[*]} --lower $D/lower --upper $D/upper --work $D/work --rootfs $D/root --env PATH=/bin --tty -- sh -c '[ -t 0 ] && [ -t 1 ] && echo isatty; exit 3'"
	[ "$MODE" = rootless ] && tcmd="runuser -u $SMOKE_USER -- $tcmd"
	script -qec "$tcmd" /dev/null </dev/null >"$D/out" 2>&1
	expect_rc "--tty with --pid-ns" 3 $?
	check "--tty with --pid-ns: CMD has a terminal" has "$D/out" isatty

	# --- network, ipc, /proc new masks, /sys new-ro
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" --sys new-ro -- sh -c '
		ls /sys/class/net | tr "\n" " "; echo
		ip link | grep -Ec "^[0-9]+:"
		ip link show lo | head -1
		readlink /proc/self/ns/ipc
		if cat /proc/kcore >/dev/null 2>&1; then echo kcore-readable; else echo kcore-unreadable; fi
		test -s /proc/keys && echo keys-visible || echo keys-masked
		ls -A /proc/acpi 2>/dev/null | wc -l
		echo x 2>&1 >/proc/sys/kernel/hostname || true
		touch /proc/acpi/x 2>&1 || true
		touch /sys/x 2>&1 || true
		awk "\$5==\"/sys\" || \$5==\"/proc/sys\" {print \$5, substr(\$6,1,2)}" /proc/self/mountinfo' >"$D/out" 2>&1
	expect_rc "net/ipc/proc/sys run" 0 $?
	check "/sys/class/net has only lo" test "$(line "$D/out" 1)" = "lo "
	check "ip link shows one interface" test "$(line "$D/out" 2)" = 1
	check "lo is UP" grep -Eq '^1: lo: <LOOPBACK,UP' <(line "$D/out" 3)
	check "new ipc namespace" test "$(line "$D/out" 4)" != "$(readlink /proc/self/ns/ipc)" -a -n "$(line "$D/out" 4)"
	check "/proc/kcore unreadable" test "$(line "$D/out" 5)" = kcore-unreadable
	check "/proc/keys masked" test "$(line "$D/out" 6)" = keys-masked
	check "/proc/acpi masked (empty)" test "$(line "$D/out" 7)" = 0
	check "/proc/sys read-only" has "$D/out" 'hostname: Read-only file system'
	check "/proc/acpi read-only" has "$D/out" 'acpi/x: Read-only file system'
	check "new sysfs read-only" has "$D/out" '/sys/x: Read-only file system'
	check "mountinfo: /sys and /proc/sys are ro" test "$(grep -Ec '^/(proc/)?sys ro$' "$D/out")" = 2

	# --- capabilities
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" --caps "$PODMAN_CAPS" -- sh -c 'grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):" /proc/self/status' >"$D/out"
	expect_rc "--caps run" 0 $?
	check "CapEff = Podman's 11" has "$D/out" "^CapEff:.$PODMAN_MASK$"
	check "CapPrm = Podman's 11" has "$D/out" "^CapPrm:.$PODMAN_MASK$"
	check "CapBnd = Podman's 11" has "$D/out" "^CapBnd:.$PODMAN_MASK$"
	check "CapInh = Podman's 11" has "$D/out" "^CapInh:.$PODMAN_MASK$"
	check "CapAmb empty" has "$D/out" '^CapAmb:.0000000000000000$'
	check "NoNewPrivs: 1" has "$D/out" '^NoNewPrivs:.1$'
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" --caps "$PODMAN_CAPS" --user 1000:1000 -- sh -c 'grep -E "^(CapEff|CapBnd):" /proc/self/status' >"$D/out"
	check "non-root user: CapEff empty" has "$D/out" '^CapEff:.0000000000000000$'
	check "non-root user: CapBnd = the list" has "$D/out" "^CapBnd:.$PODMAN_MASK$"
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" --caps CHOWN -- sh -c '
		echo x >/tmp/f && chmod 000 /tmp/f && chown 1:1 /tmp/f && echo chown-ok; cat /tmp/f 2>&1' >"$D/out"
	check "--caps CHOWN: chown works" has "$D/out" '^chown-ok$'
	check "--caps CHOWN: DAC_OVERRIDE is gone" has "$D/out" 'Permission denied'
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" --caps "" -- sh -c 'grep CapEff /proc/self/status' >"$D/out"
	check "--caps '': no capabilities" has "$D/out" '^CapEff:.0000000000000000$'
	fresh; shim "${SUBMAPS[@]}" --caps BOGUS -- true 2>"$D/err"; expect_rc "unknown capability" 125 $?
	check "unknown capability is one line" test "$(wc -l <"$D/err")" = 1

	# --- seccomp
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" -- sh -c 'mount -t tmpfs x /mnt && echo mounted' >"$D/out" 2>&1
	check "without seccomp mount works (so the filter is what stops it)" has "$D/out" mounted
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" --seccomp default -- sh -c '
		grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status
		unshare -U true 2>&1; echo "unshare=$?"
		mount -t tmpfs x /mnt 2>&1; echo "mount=$?"
		unshare -i true 2>&1; echo "unshare-i=$?"
		ls / >/dev/null && echo hi >/tmp/f && cat /tmp/f && sh -c "exit 0" && echo normal-ok' >"$D/out"
	expect_rc "--seccomp default run" 0 $?
	check "Seccomp: 2 (filter)" has "$D/out" '^Seccomp:.2$'
	check "NoNewPrivs with seccomp" has "$D/out" '^NoNewPrivs:.1$'
	check "unshare -U: EPERM" has "$D/out" 'unshare\(0x10000000\): Operation not permitted'
	check "unshare -U fails" has "$D/out" '^unshare=1$'
	check "mount: EPERM" has "$D/out" '^mount: permission denied'
	check "mount fails" has "$D/out" '^mount=(1|255)$'
	check "unshare -i (no CLONE_NEWUSER) still allowed" has "$D/out" '^unshare-i=0$'
	check "normal commands work" has "$D/out" '^normal-ok$'
	if "$BUSYBOX" --list | grep -qx keyctl; then
		fresh; shim "${SUBMAPS[@]}" "${CT[@]}" --seccomp default -- keyctl show 2>"$D/err"
		check "keyctl: EPERM" has "$D/err" 'not permitted'
	else
		skip "keyctl (no busybox keyctl applet)"
	fi
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" --seccomp unconfined -- sh -c 'grep "^Seccomp:" /proc/self/status' >"$D/out"
	check "--seccomp unconfined: no filter" has "$D/out" '^Seccomp:.0$'

	# --- cgroups
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" --cgroup "$CG" -- sh -c 'grep ":pids:" /proc/self/cgroup' >"$D/out"
	expect_rc "--cgroup run" 0 $?
	check "CMD is in the cgroup (inside view)" test "$(cat "$D/out")" = "$(grep ':pids:' /proc/self/cgroup | cut -d: -f1):pids:/berth-smoke-test"
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" --cgroup "$CG" --cgroup-ns -- sh -c 'grep ":pids:" /proc/self/cgroup' >"$D/out"
	check "--cgroup-ns: rooted at the joined cgroup" grep -q ':pids:/$' "$D/out"
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" --cgroup "$D/no-such-cgroup" -- true 2>"$D/err"
	expect_rc "--cgroup failure" 125 $?
	check "--cgroup failure is one line naming the dir" grep -qx "berth: join cgroup $D/no-such-cgroup: .*" "$D/err"

	# --- detached container, seen from outside, and exec --pid into it
	fresh; shim "${SUBMAPS[@]}" "${CT[@]}" --sys new-ro --cgroup "$CG" --hostname cbox --detach -- sh -c 'sleep 1000 & exec sleep 1001'
	expect_rc "--detach container" 0 $?
	local child monitor
	child=$(json_num "$D/state/pids.json" child)
	monitor=$(json_num "$D/state/pids.json" monitor)
	echo "$child $monitor" >"$D/bgpids"
	sleep 0.3
	check "pids.json child is the init (berth-init, host pid $child)" test "$(cat "/proc/$child/comm" 2>/dev/null)" = berth-init
	check "cgroup.procs (outside) has the init and both sleeps" test "$(wc -l <"$CG/cgroup.procs")" = 3 -a -n "$(grep -x "$child" "$CG/cgroup.procs")"
	check "the init is NSpid 1 inside" grep -Eq "^NSpid:.$child.1$" "/proc/$child/status"
	as "$SHIM" exec --pid "$child" $EXECNS --env PATH=/bin -- sh -c 'echo "$(hostname)"; ps -o pid,comm | awk "NR>1 {print \$1\":\"\$2}" | sort -n | head -3 | tr "\n" " "; echo; ls /sys/class/net; exit 5' >"$D/out"
	expect_rc "exec --pid exit code" 5 $?
	check "exec joins uts" test "$(line "$D/out" 1)" = cbox
	check "exec joins the pid ns (sees init and the sleeps)" test "$(line "$D/out" 2)" = "1:berth-init 2:sleep 3:sleep "
	check "exec joins the net ns" test "$(line "$D/out" 3)" = lo
	as "$SHIM" exec --pid "$child" $EXECNS -- nosuchcmd 2>"$D/err"; expect_rc "exec missing command" 127 $?
	as "$SHIM" exec --pid "$child" $EXECNS --env PATH=/bin --caps "$PODMAN_CAPS" --seccomp default --cgroup "$CG" -- sh -c '
		grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; grep ":pids:" /proc/self/cgroup; unshare -U true 2>&1; echo $$' >"$D/out"
	expect_rc "exec --caps --seccomp --cgroup" 0 $?
	check "exec --caps: CapEff" has "$D/out" "^CapEff:.$PODMAN_MASK$"
	check "exec: NoNewPrivs" has "$D/out" '^NoNewPrivs:.1$'
	check "exec --seccomp default" has "$D/out" '^Seccomp:.2$'
	check "exec --seccomp: unshare -U EPERM" has "$D/out" 'Operation not permitted'
	check "exec --cgroup joins the cgroup" has "$D/out" ':pids:/berth-smoke-test$'
	check "exec'd process has a pid of the environment's ns" test "$(tail -1 "$D/out")" -gt 3
	kill -TERM "$monitor" # forwarded to the init, then to CMD (sleep 1001)
	wait_for "$D/state/exit.json"
	check "SIGTERM to a detached monitor ends the container" has "$D/state/exit.json" '"exitCode":143'
	check "monitor exited" gone "$monitor"
	check "init exited" gone "$child"
	check "cgroup empty again" test -z "$(cat "$CG/cgroup.procs")"

	check_no_mounts
	check "cgroup dir removable" cg_rmdir "$CG"
}

suite root
suite rootless

echo "$PASSES passed, $FAILS failed, $SKIPS skipped"
[ "$FAILS" = 0 ] || exit 1
