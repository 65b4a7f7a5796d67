#!/bin/sh
# The real Debian packages the tests' loopback mirror serves (scripts/test.mjs, test/helpers/
# test-mirror.ts): the cloud kernel metapackage and the versioned kernel it depends on (microvm),
# user-mode-linux (uml). Downloaded once with apt into BERTH_TEST_DEBS (default
# /var/cache/berth-test-debs); a package already there is not downloaded again. Set-up, not a test.
set -eu
DIR="${BERTH_TEST_DEBS:-/var/cache/berth-test-debs}"
# The versions of the host's suite itself (dists/SUITE, what berth fetches), not of its -security
# or -updates suites (a newer kernel would change what the tests see).
SUITE=$(. /etc/os-release && echo "$VERSION_CODENAME")
mkdir -p "$DIR"
cd "$DIR"
have() { ls "$1"_*.deb >/dev/null 2>&1; }
get() {
	have "$1" && return 0
	echo "test-debs: apt-get download $1 into $DIR" >&2
	# apt's sandbox user must be able to write here.
	chmod 0777 "$DIR"
	apt-get download -qq "$1/$SUITE"
	chmod 0755 "$DIR"
}
get linux-image-cloud-amd64
get user-mode-linux
# The versioned kernel the metapackage names (its first Depends).
dep=$(dpkg-deb -f "$(ls linux-image-cloud-amd64_*.deb | tail -1)" Depends | sed 's/^[[:space:]]*//; s/[[:space:](,|].*//')
get "$dep"
chmod 0644 ./*.deb

# The packages of `debian:SUITE/minbase` (the Debian image tests build it from the loopback mirror),
# exactly as mmdebstrap resolves them from the host's mirror for SUITE alone: one real build here
# that keeps its downloads (set-up, before any test; about 10 MB). Complete when .complete exists.
MINBASE="$DIR/minbase"
if [ ! -e "$MINBASE/.complete" ]; then
	uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Identifier: Packages' | awk -v s="$SUITE" '$2 == s { print $1; exit }')
	[ -n "$uri" ] || { echo "test-debs: no apt source for $SUITE in the host's apt sources" >&2; exit 1; }
	echo "test-debs: mmdebstrap --variant=minbase $SUITE, keeping its packages in $MINBASE" >&2
	rm -rf "$MINBASE" && mkdir -p "$MINBASE"
	out=$(mktemp -d)
	mmdebstrap --quiet --mode=root --variant=minbase --skip=download/empty,essential/unlink \
		--customize-hook="sync-out /var/cache/apt/archives $MINBASE" \
		"$SUITE" "$out/minbase.tar" "deb $uri $SUITE main"
	rm -rf "$out" "$MINBASE/partial" "$MINBASE/lock"
	chmod 0644 "$MINBASE"/*.deb
	touch "$MINBASE/.complete"
fi
