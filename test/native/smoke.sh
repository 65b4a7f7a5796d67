#!/usr/bin/env bash
# Smoke tests for native/bin/berth-shim, for real: as root and as an
# unprivileged user (rootless: user namespace + overlayfs userxattr).
#   sudo bash test/native/smoke.sh        # exits non-zero on any failure
# Needs: gcc, make, busybox (static), uidmap (newuidmap), util-linux (runuser,
# script). Creates the user berth-smoke (with /etc/subuid range) if missing.
set -u

. "$(dirname "$0")/lib.sh"
smoke_init berth-smoke subids

# the image's symlinks for the escape checks; files to bind
fixtures() {
	ln -s /etc "$D/lower/etclink"      # absolute symlink: must stay in the rootfs
	ln -s ../../../.. "$D/lower/uplink" # relative escape attempt
	mkdir -p "$D/share-rw" "$D/share-ro"
	echo hostfile >"$D/hostfile"
	echo ro-content >"$D/share-ro/f"
}

suite() {
	begin_suite "$1" fixtures
	local rc

	# exit codes
	fresh; shim -- sh -c 'exit 7'; expect_rc "exit 7" 7 $?
	check "exit.json has exitCode 7" has "$D/state/exit.json" '"exitCode":7,"signal":null,"finishedAt":"'
	check "pids.json has monitor, child, childStart, startedAt" \
		grep -Eq '^\{"monitor":[0-9]+,"child":[0-9]+,"childStart":[0-9]+,"startedAt":"[0-9T:.-]+Z"\}$' "$D/state/pids.json"
	fresh; shim -- nosuchcmd 2>"$D/err"; expect_rc "missing command" 127 $?
	check "missing command message" grep -qx 'berth: nosuchcmd: command not found' "$D/err"
	check "exit.json carries the error" has "$D/state/exit.json" '"exitCode":127,.*"error":"nosuchcmd: command not found"'
	fresh; shim -- /etc/passwd 2>"$D/err"; expect_rc "non-executable command" 126 $?
	fresh; shim -- sh -c 'kill -9 $$'; expect_rc "killed by SIGKILL" 137 $?
	check "exit.json names SIGKILL" has "$D/state/exit.json" '"exitCode":137,"signal":"SIGKILL"'
	fresh; shim --bogus -- true 2>"$D/err"; expect_rc "unknown option" 125 $?
	check "one-line error" test "$(wc -l <"$D/err")" = 1
	fresh; as "$SHIM" run $NSOPTS --lower "$D/nonexistent" --upper "$D/upper" --work "$D/work" \
		--rootfs "$D/root" --state-dir "$D/state" -- true 2>"$D/err"
	expect_rc "setup failure" 125 $?
	check "setup failure is one line 'berth: ...'" grep -qx 'berth: mount overlay.*' "$D/err"

	# stdout/stderr separation and the CRI log
	fresh; shim --log "$D/log" -- sh -c 'echo out; echo err >&2; printf partial' >"$D/out" 2>"$D/err"
	expect_rc "output run" 0 $?
	check "stdout separated" test "$(cat "$D/out")" = "$(printf 'out\npartial')"
	check "stderr separated" test "$(cat "$D/err")" = err
	check "log: stdout F line" grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z stdout F out$' "$D/log"
	check "log: stderr F line" grep -Eq 'Z stderr F err$' "$D/log"
	check "log: partial P line" grep -Eq 'Z stdout P partial$' "$D/log"
	check "log mode 0600" test "$(stat -c %a "$D/log")" = 600
	fresh; shim --log "$D/log" -- sh -c 'sleep 0.3; echo after-reader-gone; echo more' | true
	rc=${PIPESTATUS[0]}; expect_rc "stdout reader gone" 0 "$rc"
	check "log continues after stdout is gone" grep -q 'stdout F more$' "$D/log"

	# env, cwd, user, hostname, stdin
	fresh; shim --env FOO=bar --cwd /work/here --hostname box -- \
		sh -c 'echo "$FOO|$PATH|$HOME|$(pwd)|$(id -u):$(id -g)|$(hostname)"; env | grep -c .' >"$D/out"
	check "env, cwd, uid, hostname" test "$(head -1 "$D/out")" = "bar|/bin||/work/here|0:0|box"
	check "environment is exactly --env (+ sh's PWD/SHLVL)" test "$(tail -1 "$D/out")" -le 4
	check "host hostname untouched" test "$(hostname)" != box
	fresh; echo from-stdin | shim --interactive -- cat >"$D/out"
	check "--interactive passes stdin" test "$(cat "$D/out")" = from-stdin
	fresh; echo from-stdin | shim -- cat >"$D/out"
	check "stdin is /dev/null without --interactive" test ! -s "$D/out"
	if [ "$MODE" = rootless ]; then
		fresh; shim "${SUBMAPS[@]}" --user 1000:1000:1000,5 -- sh -c 'id -u; id -g; id -G; touch /tmp/subfile' >"$D/out"
		expect_rc "--user with newuidmap maps" 0 $?
	else
		fresh; shim --user 1000:1000:1000,5 -- sh -c 'id -u; id -g; id -G; touch /tmp/subfile' >"$D/out"
		expect_rc "--user" 0 $?
	fi
	check "--user uid/gid/groups" test "$(tr '\n' ' ' <"$D/out")" = "1000 1000 1000 5 "

	# overlay: the lower dir stays untouched
	fresh; shim -- sh -c 'touch /bin/x && rm /bin/sh'; expect_rc "write into the rootfs" 0 $?
	check "lower unchanged" test ! -e "$D/lower/bin/x" -a -L "$D/lower/bin/sh"
	check "upper has the new file" test -e "$D/upper/bin/x"

	# /dev, /proc, /sys
	fresh; shim --proc bind --sys bind-ro -- sh -c '
		echo hi >/dev/null && test ! -s /dev/null && test "$(head -c 3 /dev/zero | wc -c)" = 3 &&
		head -c 4 /dev/urandom >/dev/null && test -c /dev/pts/ptmx && test -L /dev/ptmx && test -d /dev/shm &&
		test -e /proc/self/status && ls /sys/kernel >/dev/null' 2>"$D/err"
	expect_rc "/dev, /proc and /sys work" 0 $?
	fresh; shim --proc bind --sys bind-ro -- sh -c 'touch /sys/kernel/x 2>&1; awk "\$5==\"/sys\" {print \$6}" /proc/self/mountinfo' >"$D/out"
	check "/sys is read-only" has "$D/out" 'Read-only file system'
	check "/sys mount has ro" grep -q '^ro' <(tail -1 "$D/out")

	# --bind rw / ro / file, and no escape through image symlinks
	fresh; shim --bind "$D/share-rw:/mnt/rw" --bind "$D/share-ro:/mnt/ro:ro" --bind "$D/hostfile:/new/dir/hostfile:ro" -- sh -c '
		echo written >/mnt/rw/new && cat /mnt/ro/f && cat /new/dir/hostfile && ! touch /mnt/ro/x 2>/dev/null' >"$D/out"
	expect_rc "binds" 0 $?
	check "rw bind writes through" test "$(cat "$D/share-rw/new" 2>/dev/null)" = written
	check "ro bind readable, file bind created" test "$(tr '\n' ' ' <"$D/out")" = "ro-content hostfile "
	check "ro bind not writable" test ! -e "$D/share-ro/x"
	rm -f /etc/berth-smoke-escape "$TMP/berth-smoke-escape2"
	fresh; shim --bind "$D/hostfile:/etclink/berth-smoke-escape" --bind "$D/hostfile:/uplink/berth-smoke-escape2" -- \
		sh -c 'cat /etc/berth-smoke-escape /berth-smoke-escape2' >"$D/out"
	expect_rc "binds through image symlinks" 0 $?
	check "symlink to /etc stays in the rootfs" test ! -e /etc/berth-smoke-escape -a -e "$D/upper/etc/berth-smoke-escape"
	check "../ symlink stays in the rootfs" test ! -e "$TMP/berth-smoke-escape2" -a ! -e /berth-smoke-escape2 -a -e "$D/upper/berth-smoke-escape2"

	# signal forwarding (foreground monitor)
	fresh; shim -- sleep 30 &
	wait_for "$D/state/pids.json"; sleep 0.3
	kill -TERM "$(json_num "$D/state/pids.json" monitor)"
	wait $!; expect_rc "SIGTERM forwarded" 143 $?
	check "exit.json names SIGTERM" has "$D/state/exit.json" '"signal":"SIGTERM"'

	# --detach, exec --pid, kill
	fresh; shim --detach --log "$D/log" --hostname dbox -- sh -c 'echo started; exec sleep 1000'
	expect_rc "--detach front" 0 $?
	check "pids.json exists when the front returns" test -e "$D/state/pids.json"
	local child monitor
	child=$(json_num "$D/state/pids.json" child)
	monitor=$(json_num "$D/state/pids.json" monitor)
	echo "$child $monitor" >"$D/bgpids"
	check "child is running" kill -0 "$child"
	as "$SHIM" exec --pid "$child" $EXECNS --env PATH=/bin --env E=1 --cwd /etc -- \
		sh -c 'echo "$(hostname)|$(pwd)|$E"; exit 5' >"$D/out"
	expect_rc "exec --pid exit code" 5 $?
	check "exec joins the environment" test "$(cat "$D/out")" = "dbox|/etc|1"
	# exec does not create its working directory (as docker exec): a missing one is exit 126.
	as "$SHIM" exec --pid "$child" $EXECNS --cwd /made/by/exec -- true 2>/dev/null
	expect_rc "exec --cwd of a missing directory" 126 $?
	as "$SHIM" exec --pid "$child" $EXECNS -- test ! -e /made
	expect_rc "exec created no directory" 0 $?
	as "$SHIM" exec --pid "$child" $EXECNS -- nosuchcmd 2>/dev/null; expect_rc "exec missing command" 127 $?
	local ecmd="$SHIM exec --pid $child $EXECNS --tty -- sh -c '[ -t 0 ] && [ -t 1 ] && echo exec-isatty; exit 4'"
	[ "$MODE" = rootless ] && ecmd="runuser -u $SMOKE_USER -- $ecmd"
	script -qec "$ecmd" /dev/null </dev/null >"$D/out" 2>&1
	expect_rc "exec --tty exit code" 4 $?
	check "exec --tty: child has a terminal" has "$D/out" exec-isatty
	kill -9 "$child"
	wait_for "$D/state/exit.json"
	check "detached exit.json after kill" has "$D/state/exit.json" '"exitCode":137,"signal":"SIGKILL"'
	check "detached log" has "$D/log" 'Z stdout F started$'
	check "detached monitor exited" gone "$monitor"
	fresh; shim --detach -- nosuchcmd 2>"$D/err"; expect_rc "--detach reports exec failure" 127 $?
	check "--detach error message" grep -qx 'berth: nosuchcmd: command not found' "$D/err"

	# tty
	fresh
	local tcmd="$SHIM run $NSOPTS --lower $D/lower --upper $D/upper --work $D/work --rootfs $D/root --log $D/log --env PATH=/bin --tty -- sh -c '[ -t 0 ] && [ -t 1 ] && echo isatty; stty size; read x; echo got=\$x; exit 3'"
	[ "$MODE" = rootless ] && tcmd="runuser -u $SMOKE_USER -- $tcmd"
	echo typed | script -qec "stty rows 31 cols 101; $tcmd" /dev/null >"$D/out" 2>&1
	expect_rc "--tty exit code" 3 $?
	check "--tty: child has a terminal" has "$D/out" isatty
	check "--tty: window size copied" has "$D/out" '31 101'
	check "--tty: stdin relayed" has "$D/out" 'got=typed'
	check "--tty: log" has "$D/log" 'stdout F isatty'

	# rmtree
	fresh; shim -- true
	check "overlay left a 000 work dir" test -d "$D/work/work"
	as "$SHIM" rmtree "$D/work"; expect_rc "rmtree of work/ with a 000 dir" 0 $?
	check "work/ removed" test ! -e "$D/work"
	if [ "$MODE" = rootless ]; then
		fresh; shim "${SUBMAPS[@]}" --user 1000:1000 -- sh -c 'mkdir -p /tmp/d/e && touch /tmp/d/e/f && chmod 000 /tmp/d'
		check "upper has sub-uid files" test "$(stat -c %u "$D/upper/tmp/d")" = $((SUB_UID + 999))
		as "$SHIM" rmtree "$D/upper" 2>"$D/err"; rc=$?
		check "plain rmtree cannot remove sub-uid files (exit $rc)" test $rc = 125 -a "$(wc -l <"$D/err")" = 1
		as "$SHIM" rmtree --userns "${SUBMAPS[@]}" "$D/upper"; expect_rc "rmtree --userns" 0 $?
		check "upper removed" test ! -e "$D/upper"
	fi

	# nothing stays mounted on the host
	check_no_mounts
}

suite root
suite rootless

summary
