#!/bin/sh
# Host packages berth's tests need. As root: install the missing ones with apt-get.
# As a normal user: say which are missing (the tests then fail or skip, as they say).
set -eu
PKGS="busybox-static docker.io uidmap gnupg gpgv bsdutils e2fsprogs util-linux procps docker-registry skopeo tar coreutils python3 mmdebstrap debian-archive-keyring qemu-utils uml-utilities qemu-system-x86 qemu-system-common mount cpio user-mode-linux xz-utils zstd gzip apache2-utils iproute2 nftables passt slirp4netns slirp gcc make libc6-dev file clang-format slurmctld slurmd slurm-client munge criu openssl"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Rootless --network user needs /dev/net/tun open to users (udev's 0666 on most distributions).
if [ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
	echo "host-packages: chmod 0666 /dev/net/tun (as udev does) for rootless --network user" >&2
	chmod 0666 /dev/net/tun
fi
# The real Debian packages the tests' loopback mirror serves (downloaded once; root only).
test_debs() { if [ "$(id -u)" -eq 0 ]; then sh "$(dirname "$0")/test-debs.sh"; fi; }
if [ -z "$missing" ]; then
	test_debs
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "host-packages: missing:$missing (as root: apt-get install$missing)" >&2
	exit 0
fi
echo "host-packages: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
test_debs
