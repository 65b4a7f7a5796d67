# Shared setup and helpers of the native smoke tests (smoke.sh,
# container-smoke.sh, log-smoke.sh). A script sources this file, calls
#   smoke_init TMP_PREFIX [subids]
# and then runs its suites, each starting with begin_suite MODE [FUNC].
# smoke_init checks the preconditions (root, make -C native, busybox; with
# "subids" also newuidmap and the /etc/subuid and /etc/subgid ranges of
# $SMOKE_USER, in SUB_UID and SUB_GID), creates the user berth-smoke if
# missing, makes the directory $TMP (/tmp/TMP_PREFIX.XXXXXX) with a copy of
# the shim in $SHIM, and removes it all again on exit. Hooks a script may
# define before calling smoke_init:
#   extra_precheck  more preconditions, checked before the user is created
#   extra_cleanup   more cleanup, run before the mounts under $TMP go

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SMOKE_USER=berth-smoke
FAILS=0
PASSES=0
FRESH_DIRS=state # the directories fresh empties, under $D

smoke_init() {
	local prefix=$1 subids=${2:-}
	if [ "$(id -u)" != 0 ]; then
		echo "${0##*/} must run as root (it tests root and rootless modes)" >&2
		exit 1
	fi
	make -s -C "$REPO/native" || exit 1
	BUSYBOX=$(command -v busybox || echo /bin/busybox)
	[ -x "$BUSYBOX" ] || { echo "busybox not found" >&2; exit 1; }
	if [ -n "$subids" ]; then
		[ -x /usr/bin/newuidmap ] || { echo "newuidmap not found (package uidmap)" >&2; exit 1; }
	fi
	if declare -F extra_precheck >/dev/null; then extra_precheck || exit 1; fi
	if ! id "$SMOKE_USER" >/dev/null 2>&1; then
		[ -e /etc/subuid ] || touch /etc/subuid /etc/subgid
		useradd -m "$SMOKE_USER" || exit 1
	fi
	if [ -n "$subids" ]; then
		SUB_UID=$(awk -F: -v u="$SMOKE_USER" '$1==u{print $2; exit}' /etc/subuid)
		SUB_GID=$(awk -F: -v u="$SMOKE_USER" '$1==u{print $2; exit}' /etc/subgid)
		[ -n "$SUB_UID" ] && [ -n "$SUB_GID" ] || { echo "no /etc/subuid or /etc/subgid range for $SMOKE_USER" >&2; exit 1; }
	fi

	TMP=$(mktemp -d "/tmp/$prefix.XXXXXX")
	chmod 755 "$TMP"
	SHIM=$TMP/berth-shim # a copy the unprivileged user can surely execute
	cp "$REPO/native/bin/berth-shim" "$SHIM"
	chmod 755 "$SHIM"
	trap cleanup EXIT
}

cleanup() {
	for p in $(cat "$TMP"/*/bgpids 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	if declare -F extra_cleanup >/dev/null; then extra_cleanup; fi
	for m in $(awk -v t="$TMP" 'index($5, t)==1 {print $5}' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	"$SHIM" rmtree "$TMP" 2>/dev/null || rm -rf "$TMP"
}

ok() { echo "ok   - $MODE: $1"; PASSES=$((PASSES + 1)); }
bad() { echo "FAIL - $MODE: $1"; FAILS=$((FAILS + 1)); }
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
# expect_rc DESCRIPTION WANT GOT
expect_rc() { if [ "$2" = "$3" ]; then ok "$1 (exit $3)"; else bad "$1: want exit $2, got $3"; fi; }
# has FILE ERE
has() { grep -Eq -- "$2" "$1"; }
json_num() { sed -n "s/.*\"$2\":\([0-9-]*\).*/\1/p" "$1"; }
# gone PID: the process exits within 5s (a zombie counts: init reaps it)
gone() {
	for _ in $(seq 100); do
		[ -e "/proc/$1" ] || return 0
		[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.05
	done
	return 1
}
wait_for() { for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.05; done; return 1; }

# as CMD...: run as the mode's user
as() {
	if [ "$MODE" = rootless ]; then runuser -u "$SMOKE_USER" -- "$@"; else "$@"; fi
}

make_rootfs() {
	local r=$1
	mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev" "$r/etc" "$r/mnt"
	mkdir -m 1777 "$r/tmp"
	cp "$BUSYBOX" "$r/bin/busybox"
	for a in $("$r/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
	echo 'root:x:0:' >"$r/etc/group"
}

# begin_suite MODE [FUNC]: MODE (root or rootless), its directory $D with the
# image $D/lower (FUNC, if given, adds to $D before it is handed to the
# rootless user), and the mode's options: NSOPTS for run, EXECNS for exec,
# SUBMAPS (with subids) to map the sub-uids and sub-gids as well
begin_suite() {
	MODE=$1
	D=$TMP/$MODE
	mkdir -p "$D"
	make_rootfs "$D/lower"
	[ -z "${2:-}" ] || "$2"
	if [ "$MODE" = rootless ]; then
		chown -R "$SMOKE_USER:" "$D"
		chown root: "$D/lower" # the image may be someone else's
		NSOPTS="--userns --overlay-userxattr"
		EXECNS=--userns
		local u g
		u=$(id -u "$SMOKE_USER"); g=$(id -g "$SMOKE_USER")
		SUBMAPS=()
		[ -z "${SUB_UID:-}" ] ||
			SUBMAPS=(--uid-map "0 $u 1" --uid-map "1 $SUB_UID 65536" --gid-map "0 $g 1" --gid-map "1 $SUB_GID 65536")
	else
		NSOPTS=""
		EXECNS=""
		SUBMAPS=()
	fi
}

# fresh: new upper/work/rootfs and $FRESH_DIRS for the next run
fresh() {
	local dirs=() d
	for d in $FRESH_DIRS; do dirs+=("$D/$d"); done
	"$SHIM" rmtree "$D/upper" && "$SHIM" rmtree "$D/work" || bad "cleanup rmtree"
	as mkdir -p "$D/upper" "$D/work" "$D/root"
	as rm -rf "${dirs[@]}"
	as mkdir -p "${dirs[@]}"
	rm -f "$D/out" "$D/err" "$D/log"
}

# shim OPTIONS... -- CMD...: berth-shim run on the mode's rootfs
shim() {
	as "$SHIM" run $NSOPTS --lower "$D/lower" --upper "$D/upper" --work "$D/work" \
		--rootfs "$D/root" --state-dir "$D/state" --env PATH=/bin "$@"
}

# the last check of a suite: nothing stays mounted on the host
check_no_mounts() {
	sleep 0.2
	check "no mount left under $D" test "$(grep -c " $D" /proc/self/mountinfo)" = 0
}

# the end: exits 1 when a check failed
summary() {
	if [ "$FAILS" != 0 ]; then
		echo "$FAILS check(s) failed"
		exit 1
	fi
	echo "all checks passed"
}
