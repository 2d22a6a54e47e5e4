#!/bin/sh
# The systemd unit of the build: `systemd-analyze verify` must accept it, and the exposure score of
# `systemd-analyze security --offline=yes` must be 2.0 or lower; `make install` must install merzim.conf
# 0640, and the unit and tmpfiles.d give the database to the merzim group (operators) and nobody else.
# Skips (77) only without systemd-analyze.
#
# verify loads ExecStart='s binary, and nothing is installed during `make check` (nor `make distcheck`),
# so it checks a copy of units/merzim.service whose ExecStart runs the built daemon/merzimd; every other
# line is the unit as it will be installed. systemd 252's verify does not resolve User=, so the merzim
# user need not exist on the build machine. The man pages named in Documentation= are checked against
# the pages of the source tree (man/), not those installed on this machine: they are laid out in a
# man1/ man5/ man8/ tree under MANPATH (with the system's pages after them); without man(1) the
# check is left out (--man=no).
set -u

builddir=${MERZIM_BUILDDIR:-$PWD}
srcdir=${MERZIM_SRCDIR:-$(dirname "$0")/..}
unit=$builddir/units/merzim.service
daemon=$builddir/daemon/merzimd
max_exposure=2.0

if ! command -v systemd-analyze >/dev/null 2>&1; then
        echo "SKIP: systemd-analyze is not installed"
        exit 77
fi
for f in "$unit" "$daemon"; do
        if [ ! -f "$f" ]; then
                echo "FAIL: $f is missing: build first (make all)"
                exit 1
        fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/merzim-unit.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 1' HUP INT TERM

# The unit must keep its name: it is how systemd-analyze knows what it looks at. The path is quoted
# and its % escaped, as systemd's ExecStart= syntax wants.
DAEMON=$daemon awk '
        /^ExecStart=[^ ]*\/merzimd( |$)/ {
                path = ENVIRON["DAEMON"]
                gsub(/%/, "%%", path)
                sub(/^ExecStart=[^ ]*\/merzimd/, "ExecStart=\"" path "\"")
                found = 1
        }
        { print }
        END { if (!found) exit 1 }' "$unit" >"$work/merzim.service" || {
        echo "FAIL: no ExecStart=.../merzimd line in $unit"
        exit 1
}

status=0

man_check=--man=no
if command -v man >/dev/null 2>&1; then
        for page in merzimctl.1 merzim.conf.5 merzimd.8; do
                mkdir -p "$work/man/man${page##*.}" && cp "$srcdir/man/$page" "$work/man/man${page##*.}/" || {
                        echo "FAIL: cannot copy $srcdir/man/$page"
                        exit 1
                }
        done
        man_check=--man=yes
fi

echo "== systemd-analyze verify $man_check (ExecStart=$daemon)"
# A trailing colon in MANPATH adds the system's manual path after the tree of the source.
if MANPATH="$work/man:" systemd-analyze verify "$man_check" "$work/merzim.service" >"$work/verify.log" 2>&1 &&
        [ ! -s "$work/verify.log" ]; then
        echo "ok: no complaints"
else
        # A unit that loads but draws warnings fails too: each is something an administrator would see.
        cat "$work/verify.log"
        echo "FAIL: systemd-analyze verify"
        status=1
fi

echo "== make install: merzim.conf, the state directory and the umask"
# The configuration is installed 0640, never readable by others, even before tmpfiles.d gives it to the
# merzim group; tmpfiles.d makes the database's directory the group's, set-group-ID; the unit's umask
# keeps what merzimd creates from others.
dest=$work/root
if ${MAKE:-make} -s -C "$builddir" install-data-local DESTDIR="$dest" >"$work/install.log" 2>&1; then
        conf=$(find "$dest" -path '*/merzim/merzim.conf' | head -n 1)
        mode=$(stat -c %a "$conf" 2>/dev/null)
        if [ "$mode" = 640 ]; then
                echo "ok: merzim.conf installed $mode"
        else
                echo "FAIL: merzim.conf installed ${mode:-nowhere} (${conf:-not found}), not 640"
                status=1
        fi
else
        cat "$work/install.log"
        echo "FAIL: make install-data-local DESTDIR=$dest"
        status=1
fi
tmpfiles=$srcdir/units/tmpfiles/merzim.conf
if grep -q '^d /var/lib/merzim 2770 merzim merzim' "$tmpfiles" &&
        grep -q '^z /etc/merzim/merzim.conf 0640 root merzim' "$tmpfiles" &&
        grep -q '^UMask=0007$' "$unit" && grep -q '^StateDirectoryMode=2770$' "$unit"; then
        echo "ok: /var/lib/merzim 2770 merzim:merzim, merzim.conf 0640 root:merzim, UMask=0007"
else
        echo "FAIL: $tmpfiles or $unit no longer give the merzim group its database (2770, UMask=0007)"
        status=1
fi

echo "== systemd-analyze security --offline=yes"
# --threshold= is in tenths: 20 is an exposure of 2.0.
threshold=$(echo "$max_exposure" | awk '{ printf "%d", $1 * 10 + 0.5 }')
systemd-analyze security --offline=yes --threshold="$threshold" --no-pager "$work/merzim.service" \
        >"$work/security.log" 2>&1
security_rc=$?
# What is still open, then the score.
grep '✗' "$work/security.log"
score=$(sed -n 's/.*Overall exposure level for merzim\.service: \([0-9][0-9.]*\).*/\1/p' "$work/security.log")
if [ -z "$score" ]; then
        cat "$work/security.log"
        echo "FAIL: systemd-analyze security printed no exposure score"
        status=1
elif awk -v s="$score" -v max="$max_exposure" 'BEGIN { exit !(s + 0 > max + 0) }' || [ "$security_rc" -ne 0 ]; then
        echo "FAIL: exposure $score, above $max_exposure (systemd-analyze exited $security_rc)"
        status=1
else
        echo "ok: exposure $score (at most $max_exposure)"
fi
exit $status
