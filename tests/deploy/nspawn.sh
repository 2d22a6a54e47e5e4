#!/bin/sh
# Deploy merzim into a booted Debian 12 container and check it as an administrator would: build with
# the distribution's paths, `make install` into a debootstrapped root, boot it with systemd-nspawn,
# then sysusers, tmpfiles, configuration, import, start, status, journal, reload (broken and fixed),
# credentials, merzimctl as root, stop and `systemd-analyze security`. Prints what it ran and what
# came back, then a report; exits non-zero if any step failed.
#
# Needs root, Debian's mirrors and about 1 GB in /var/tmp. Not part of `make check`.
#   tests/deploy/nspawn.sh            (MERZIM_NSPAWN_KEEP=1 leaves the container running at the end)
# The pristine root is cached in /var/tmp/merzim-nspawn-root; each run works on a fresh copy of it.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=/var/tmp/merzim-nspawn-root
root=/var/tmp/merzim-nspawn-run
build=/var/tmp/merzim-nspawn-build
machine=merzim-deploy
seed="machine-building-roadmap-2024.kk.txt"
conf=/etc/merzim/merzim.conf
nspawn_pid=
pid1=

say() { printf '\n== %s\n' "$*"; }
die() {
        echo "nspawn.sh: $*" >&2
        exit 1
}

[ "$(id -u)" -eq 0 ] || die "run me as root (debootstrap, systemd-nspawn and nsenter need it)"

# --- The report: every check is one line, ok or FAIL. ---
report=
failures=0
ok() { report="$report
  ok    $1"; }
fail() {
        report="$report
  FAIL  $1"
        failures=$((failures + 1))
        echo "!! FAIL: $1"
}
check() { # description, command...
        desc=$1
        shift
        if "$@"; then ok "$desc"; else fail "$desc"; fi
}

# --- Running things in the container. ---
ct() { # command... : run in the container, as root, with a clean environment
        nsenter -t "$pid1" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 TERM=dumb \
                SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}
sh_ct() { ct /bin/sh -c "$1"; }
show() { # shell command: print it as an administrator would type it, run it in the container
        printf '\n%s# %s\n' "$machine" "$1"
        sh_ct "$1"
}
# The journal of merzim.service from a cursor on (or all of it).
cursor() { sh_ct 'journalctl -u merzim -n 1 -o cat --show-cursor -q' 2>/dev/null | sed -n 's/^-- cursor: //p'; }
journal_since() { # cursor [journalctl options...]
        c=$1
        shift
        if [ -n "$c" ]; then ct journalctl -u merzim --no-pager --after-cursor="$c" "$@"; else ct journalctl -u merzim --no-pager "$@"; fi
}
wait_journal() { # cursor, pattern, seconds: wait for a message of merzim.service matching pattern
        i=0
        while [ "$i" -lt "$3" ]; do
                journal_since "$1" -o cat 2>/dev/null | grep -q -- "$2" && return 0
                sleep 1
                i=$((i + 1))
        done
        return 1
}
owned_by_merzim() { # every file of the state directory belongs to merzim:merzim
        [ -z "$(sh_ct 'find /var/lib/merzim ! -user merzim -o ! -group merzim')" ]
}
group_not_others() { # every file of the state directory is the merzim group's, and nothing is for others
        [ -z "$(sh_ct 'find /var/lib/merzim ! -group merzim -o -perm /0007')" ]
}

prop() { ct systemctl show -p "$1" --value merzim.service; }
starts_with() { case $1 in "$2"*) return 0 ;; *) return 1 ;; esac; }
not() { ! "$@"; }
has_fields() { # notification: its journal entries carry each of the merzim fields
        # (the message's own entry and its delivery's entry both name it, so look for
        # each field rather than counting them)
        out=$(ct journalctl -u merzim -o verbose MERZIM_NOTIFICATION="$1" --no-pager) || return 1
        for f in MERZIM_NOTIFICATION MERZIM_AGENCY MERZIM_PLAN MERZIM_MEASURE; do
                printf '%s\n' "$out" | grep -q "^ *$f=" || return 1
        done
}
agency_delivered() { # agency, seconds: wait for a delivery line with MERZIM_AGENCY=agency in the journal
        i=0
        while [ "$i" -lt "$2" ]; do
                ct journalctl -u merzim --no-pager -o cat MERZIM_AGENCY="$1" 2>/dev/null | grep -q ' delivered: ' && return 0
                sleep 1
                i=$((i + 1))
        done
        return 1
}
errors_name_lines() { # cursor: the journal since names the configuration file and a line
        journal_since "$1" -o cat | grep -q "^$conf:[0-9][0-9]*: "
}

stop_container() {
        [ -n "$nspawn_pid" ] || return 0
        if kill -0 "$nspawn_pid" 2>/dev/null; then
                # systemd-nspawn turns SIGTERM into an orderly shutdown of the container.
                kill -TERM "$nspawn_pid" 2>/dev/null || true
                i=0
                while kill -0 "$nspawn_pid" 2>/dev/null && [ "$i" -lt 60 ]; do
                        sleep 1
                        i=$((i + 1))
                done
                kill -0 "$nspawn_pid" 2>/dev/null && kill -KILL "$nspawn_pid" 2>/dev/null
        fi
        nspawn_pid=
}
trap '[ "${MERZIM_NSPAWN_KEEP:-0}" = 1 ] || stop_container' EXIT
trap 'exit 1' HUP INT TERM

# --- 1. The host's tools and merzim's build dependencies. ---
say "host: prerequisites"
missing=
for p in debootstrap systemd-container util-linux; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
if [ -n "$missing" ]; then
        echo "installing:$missing"
        apt-get update -qq || true
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
"$top/scripts/install-deps" build

# --- 2. Build with the distribution's paths, as a package would. ---
say "host: build"
"$top/scripts/srcdir-clean" tests/deploy/nspawn.sh || exit 1
[ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null 2>&1) || die "autogen.sh failed"
rm -rf "$build"
mkdir -p "$build"
(cd "$build" && "$top/configure" --quiet --prefix=/usr --sysconfdir=/etc --localstatedir=/var &&
        make --quiet -j"$(nproc)" >make.log 2>&1) || {
        tail -n 50 "$build/make.log" 2>/dev/null
        die "the build failed (in $build)"
}
echo "built in $build"
ok "build (./configure --prefix=/usr --sysconfdir=/etc --localstatedir=/var; make)"

# --- 3. A Debian 12 root: debootstrapped once, copied afresh for every run. ---
say "host: Debian 12 root"
if [ ! -f "$cache/etc/os-release" ]; then
        rm -rf "$cache.tmp"
        debootstrap --variant=minbase \
                --include=systemd,systemd-sysv,dbus,procps,libcurl4,libconfig9,libsqlite3-0,libjansson4,libsystemd0,tzdata,ca-certificates \
                bookworm "$cache.tmp" http://deb.debian.org/debian >/var/tmp/merzim-debootstrap.log 2>&1 ||
                die "debootstrap failed: see /var/tmp/merzim-debootstrap.log"
        mv "$cache.tmp" "$cache"
fi
# The libraries the programs were linked with, as this build found them: any the root lacks comes from
# the Debian package that has it on this machine (the packages debootstrap installed are the usual ones).
pkgs=
for lib in $(ldd "$build/daemon/merzimd" "$build/daemon/merzimctl" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u); do
        [ -e "$cache$lib" ] && continue
        pkg=
        for path in "$lib" "$(readlink -f "$lib")" "/usr$lib"; do
                pkg=$(dpkg -S "$path" 2>/dev/null | sed -n '1s/: .*//p')
                [ -n "$pkg" ] && break
        done
        [ -n "$pkg" ] || die "no Debian package has $lib, which merzim needs"
        pkgs="$pkgs $pkg"
done
if [ -n "$pkgs" ]; then
        echo "adding to the root what this build links with:$pkgs"
        # shellcheck disable=SC2086
        systemd-nspawn --register=no --keep-unit --quiet -D "$cache" sh -c \
                "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null" ||
                die "cannot install$pkgs in $cache"
fi
rm -rf "$root"
cp -a "$cache" "$root"
echo "$machine" >"$root/etc/hostname"
echo "root: $root (copy of $cache)"

(cd "$build" && make --quiet install DESTDIR="$root" >install.log 2>&1) || {
        tail -n 30 "$build/install.log"
        die "make install failed"
}
ok "make install DESTDIR=$root"
examples=/usr/share/merzim/examples
check "make install puts the seed roadmap in $examples" test -f "$root$examples/$seed"

# An SMTP server for the container, to be started later: systemd accepts each connection and runs a
# shell script that takes every message into /var/tmp/merzim-test-smtp and accepts any AUTH PLAIN.
# It is not part of merzim; it stands in for the ministry's mail relay.
mkdir -p "$root/usr/local/libexec"
cat >"$root/usr/local/libexec/merzim-test-smtp" <<'EOF'
#!/bin/bash
dir=/var/tmp/merzim-test-smtp
mkdir -p "$dir"
reply() { printf '%s\r\n' "$*"; }
reply "220 merzim-test-smtp ESMTP"
while IFS= read -r -t 60 line; do
        line=${line%$'\r'}
        case ${line^^} in
        EHLO*) reply "250-merzim-test-smtp"; reply "250-8BITMIME"; reply "250 AUTH PLAIN" ;;
        HELO*) reply "250 merzim-test-smtp" ;;
        "AUTH PLAIN") reply "334 "; IFS= read -r -t 60 blob; printf '%s\n' "${blob%$'\r'}" >>"$dir/auth"; reply "235 2.7.0 accepted" ;;
        "AUTH PLAIN "*) printf '%s\n' "${line#* * }" >>"$dir/auth"; reply "235 2.7.0 accepted" ;;
        "MAIL FROM:"* | "RCPT TO:"* | RSET | NOOP) reply "250 2.0.0 OK" ;;
        DATA)
                reply "354 end with <CRLF>.<CRLF>"
                f=$(mktemp "$dir/XXXXXX.eml")
                while IFS= read -r -t 60 l; do
                        l=${l%$'\r'}
                        [ "$l" = . ] && break
                        printf '%s\n' "$l" >>"$f"
                done
                reply "250 2.0.0 queued as ${f##*/}" ;;
        QUIT) reply "221 2.0.0 bye"; exit 0 ;;
        *) reply "502 5.5.2 not implemented" ;;
        esac
done
EOF
chmod 755 "$root/usr/local/libexec/merzim-test-smtp"
cat >"$root/etc/systemd/system/merzim-test-smtp.socket" <<'EOF'
[Unit]
Description=SMTP sink for merzim's deployment test
[Socket]
ListenStream=127.0.0.1:2525
Accept=yes
EOF
cat >"$root/etc/systemd/system/merzim-test-smtp@.service" <<'EOF'
[Unit]
Description=SMTP sink for merzim's deployment test (one connection)
[Service]
ExecStart=/usr/local/libexec/merzim-test-smtp
StandardInput=socket
StandardOutput=socket
StandardError=journal
EOF

# --- 4. Boot it. ---
say "host: boot the container"
# --private-network: the container has a loopback of its own, so that 127.0.0.1:2525 is its own.
systemd-nspawn --register=no --keep-unit --quiet -D "$root" -M "$machine" --private-network --boot \
        --console=read-only >"$root.console.log" 2>&1 &
nspawn_pid=$!
# PID 1 of the container is systemd-nspawn's child whose PID in its own namespace is 1.
i=0
while [ -z "$pid1" ] && [ "$i" -lt 30 ]; do
        sleep 1
        i=$((i + 1))
        kill -0 "$nspawn_pid" 2>/dev/null || { cat "$root.console.log"; die "systemd-nspawn exited"; }
        for s in /proc/[0-9]*/status; do
                [ "$(sed -n 's/^PPid:[[:space:]]*//p' "$s" 2>/dev/null)" = "$nspawn_pid" ] || continue
                sed -n 's/^NSpid:.*[[:space:]]//p' "$s" | grep -qx 1 || continue
                p=${s#/proc/}
                pid1=${p%/status}
        done
done
[ -n "$pid1" ] || die "no PID 1 under systemd-nspawn ($nspawn_pid)"
echo "systemd-nspawn: $nspawn_pid, the container's PID 1: $pid1 (console log: $root.console.log)"
state=$(ct timeout 120 systemctl is-system-running --wait 2>/dev/null || true)
echo "system state: $state"
case $state in
running) ok "container booted: $state" ;;
degraded)
        ok "container booted: degraded"
        ct systemctl --failed --no-pager --no-legend || true
        ;;
*) fail "container booted (state: ${state:-unknown})" ;;
esac

# From here on a failed step is reported, and the next ones still run.
set +e

# --- 5. What an administrator does after make install. ---
say "container: user, directories, units"
show 'systemd-sysusers && getent passwd merzim' || fail "systemd-sysusers"
show 'systemd-tmpfiles --create && ls -ld /var/lib/merzim /etc/merzim/merzim.conf' || fail "systemd-tmpfiles --create"
check "sysusers and tmpfiles: /var/lib/merzim is merzim's 2770, merzim.conf root:merzim 0640" \
        test "$(sh_ct 'stat -c %U:%G:%a /var/lib/merzim /etc/merzim/merzim.conf' | tr '\n' ' ')" = "merzim:merzim:2770 root:merzim:640 "
show 'systemctl daemon-reload && systemctl cat merzim.service | grep -e "^# /.*merzim.service$" -e "^ExecStart" -e "^User" -e "^StateDirectory="' ||
        fail "systemctl daemon-reload"
# The man pages named in Documentation= are not installed (yet): not checked.
if show 'systemd-analyze verify --man=no merzim.service'; then ok "systemd-analyze verify merzim.service"; else fail "systemd-analyze verify merzim.service"; fi

say "container: configuration"
# The mail relay of this test is on the container's loopback; retries come every few seconds.
show "sed -i -e 's|smtp://127.0.0.1:25\"|smtp://127.0.0.1:2525\"|' -e 's|retry_initial_seconds = 60|retry_initial_seconds = 5|' -e 's|retry_max_seconds = 3600|retry_max_seconds = 10|' $conf && grep -n -e 'url =' -e 'retry_' $conf" ||
        fail "edit $conf"
if show "merzimd --check-config -c $conf"; then ok "merzimd --check-config: configuration OK"; else fail "merzimd --check-config"; fi

say "container: import the roadmap, as root"
show "merzimctl -c $conf import $examples/$seed | tail -n +3" || fail "merzimctl import"
show 'ls -l /var/lib/merzim'
check "merzimctl import as root: the database is merzim's" owned_by_merzim

say "container: start"
c0=$(cursor)
show 'systemctl enable --now merzim.service' || fail "systemctl enable --now merzim"
wait_journal "$c0" "merzimd .* started" 30
sleep 2
show 'systemctl status merzim.service --no-pager -n 0'
check "merzim.service is active" test "$(ct systemctl is-active merzim.service)" = active
status=$(prop StatusText)
check "sd_notify STATUS= says what is next: $status" starts_with "$status" "next: "
main_pid=$(prop MainPID)

say "container: no mail relay yet (nothing listens on 127.0.0.1:2525)"
check "e-mail fails while the relay is down, and is retried" wait_journal "$c0" "will be retried" 30
journal_since "$c0" -o short-iso | grep -e 'first start' -e 'started' -e 'queued' -e 'will be retried' | head -n 9

say "container: structured journal fields"
n=$(journal_since "$c0" -o verbose MERZIM_AGENCY=ИИДМ | sed -n 's/^ *MERZIM_NOTIFICATION=//p' | head -n 1)
show "journalctl -u merzim -o verbose MERZIM_NOTIFICATION=${n:-1} --no-pager | grep -e '^ *MESSAGE=' -e '^ *MERZIM_' -e '^ *PRIORITY=' -e '^ *_UID=' -e '^ *_SYSTEMD_UNIT=' -e '^ *SYSLOG_IDENTIFIER='"
check "the journal has MERZIM_NOTIFICATION=, MERZIM_AGENCY=, MERZIM_PLAN=, MERZIM_MEASURE=" has_fields "${n:-1}"
show "journalctl -u merzim -o verbose MERZIM_OUTBOX=1 -n 1 --no-pager | grep -e '^ *MESSAGE=' -e '^ *MERZIM_' -e '^ *PRIORITY='"

say "container: the SMTP password as a systemd credential"
show "umask 077 && printf 's3cret-test\n' > /etc/merzim/smtp-password && mkdir -p /etc/systemd/system/merzim.service.d && printf '[Service]\nLoadCredential=smtp-password:/etc/merzim/smtp-password\n' > /etc/systemd/system/merzim.service.d/credentials.conf && ls -l /etc/merzim/smtp-password && cat /etc/systemd/system/merzim.service.d/credentials.conf"
show "sed -i -e 's|^        # username = \"merzim\";|        username = \"merzim\";|' -e 's|^        # password_file = \"/run/credentials/merzim.service/smtp-password\";|        password_file = \"/run/credentials/merzim.service/smtp-password\";|' $conf && grep -n -e 'username =' -e 'password_file =' $conf"
c1=$(cursor)
show 'systemctl daemon-reload && systemctl restart merzim.service && systemctl is-active merzim.service' ||
        fail "restart with LoadCredential="
check "merzimd restarts with the password from its credential" wait_journal "$c1" "merzimd .* started" 30
main_pid=$(prop MainPID)
show "ls -l /run/credentials/merzim.service/"

say "container: the mail relay comes up"
c2=$(cursor)
show 'systemctl start merzim-test-smtp.socket' || fail "start the SMTP sink"
check "the retried e-mails are delivered" wait_journal "$c2" "delivered" 60
sleep 3
journal_since "$c2" -o short-iso | grep -e 'delivered' | head -n 5
show 'ls /var/tmp/merzim-test-smtp/ && grep -h -m1 "^Subject:" /var/tmp/merzim-test-smtp/*.eml | head -n 3'
check "journalctl MERZIM_AGENCY=ИИДМ shows the delivery" agency_delivered ИИДМ 30
show "journalctl -u merzim --no-pager -o cat MERZIM_AGENCY=ИИДМ | grep -e queued -e delivered | tail -n 2"
show "tail -n 1 /var/tmp/merzim-test-smtp/auth | base64 -d | tr '\\000' ' '; echo"
check "the relay was given the password of the credential" \
        test "$(sh_ct 'tail -n 1 /var/tmp/merzim-test-smtp/auth | base64 -d | tr "\000" " "')" = " merzim s3cret-test"

say "container: a while later (WatchdogSec=60s)"
sleep 70
show 'systemctl show -p ActiveState -p MainPID -p NRestarts -p StatusText merzim.service'
check "after 70 s: still running, same PID, no restart, no watchdog timeout" \
        test "$(prop ActiveState) $(prop MainPID) $(prop NRestarts)" = "active $main_pid 0"

say "container: merzimctl as root while merzimd runs"
c3=$(cursor)
show "merzimctl -c $conf done 10 --period 2023 --by ЭМ && ls -l /var/lib/merzim" || fail "merzimctl done, as root"
check "merzimctl as root, daemon running: every file of /var/lib/merzim stays merzim's" owned_by_merzim
sleep 3
if journal_since "$c3" -o cat -p err | grep -i -e 'readonly' -e 'read-only' -e 'permission' -e 'denied'; then
        fail "merzimd can still write its database after merzimctl ran as root"
else
        ok "merzimd can still write its database after merzimctl ran as root"
fi

say "container: an operator in the merzim group, while merzimd runs"
show "useradd -m aigerim && usermod -aG merzim aigerim && id aigerim" || fail "useradd aigerim"
show "runuser -u aigerim -- merzimctl status | head -n 4" || fail "merzimctl status as an operator"
check "an operator in the merzim group runs merzimctl status with merzimd running" \
        sh_ct "runuser -u aigerim -- merzimctl status >/dev/null && runuser -u aigerim -- merzimctl report --format csv >/dev/null"
show "runuser -u aigerim -- merzimctl done 12 --by ИИДМ && ls -l /var/lib/merzim" || fail "merzimctl done as an operator"
check "an operator in the merzim group records a report with merzimd running" \
        sh_ct "merzimctl occurrences --measure 12 --status done --json | grep -q '\"done_by\": \"ИИДМ\"'"
check "the state directory stays the merzim group's, nothing in it for others" group_not_others
check "the operator cannot read the SMTP password" not sh_ct "runuser -u aigerim -- cat /etc/merzim/smtp-password"

say "container: reload with a broken configuration"
sh_ct "cp -p $conf /root/merzim.conf.good"
show "sed -i -e 's|send_time = \"09:00\"|send_time = \"25:00\"|' -e 's|^language = \"kk\";|language = \"de\";|' $conf"
show "merzimd --check-config -c $conf; echo \"exit status \$?\""
check "merzimd --check-config rejects the broken configuration" not sh_ct "merzimd --check-config -c $conf >/dev/null 2>&1"
c4=$(cursor)
show 'systemctl reload merzim.service' || fail "systemctl reload (broken configuration)"
check "the reload is refused" wait_journal "$c4" "keeping the one in use" 20
show "journalctl -u merzim --no-pager -o short-iso --after-cursor='$c4'"
check "the errors name $conf:LINE" errors_name_lines "$c4"
check "merzimd keeps running on the configuration in use (same PID)" \
        test "$(prop ActiveState) $(prop MainPID)" = "active $main_pid"

say "container: reload with the fixed configuration"
show "cp -p /root/merzim.conf.good $conf && merzimd --check-config -c $conf"
c5=$(cursor)
show 'systemctl reload merzim.service' || fail "systemctl reload (fixed configuration)"
check "the fixed configuration is reloaded" wait_journal "$c5" "configuration reloaded from $conf" 20
journal_since "$c5" -o short-iso
check "merzimd still runs, same PID" \
        test "$(prop ActiveState) $(prop MainPID)" = "active $main_pid"

say "container: systemd-analyze security"
show 'systemd-analyze security merzim.service --no-pager | tail -n 12'
score=$(ct systemd-analyze security merzim.service --no-pager 2>/dev/null |
        sed -n 's/.*Overall exposure level for merzim\.service: \([0-9][0-9.]*\).*/\1/p')
check "exposure ${score:-?} in the booted system, at most 2.0" \
        awk -v s="${score:-99}" 'BEGIN { exit !(s + 0 <= 2.0) }'

say "container: stop"
c6=$(cursor)
show 'systemctl stop merzim.service; systemctl show -p ActiveState -p Result -p ExecMainStatus merzim.service'
check "merzim.service stopped cleanly (Result=success, status 0)" \
        test "$(prop Result) $(prop ExecMainStatus)" = "success 0"
journal_since "$c6" -o short-iso
show 'ls -l /var/lib/merzim'
check "at the end, every file of /var/lib/merzim is merzim's" owned_by_merzim

say "container: the administrator's tools while merzim.service (and so its credential) is stopped"
show "merzimd --check-config -c $conf; echo \"exit status \$?\""
check "merzimd --check-config works while the service is stopped" sh_ct "merzimd --check-config -c $conf >/dev/null 2>&1"
show "merzimctl -c $conf plans; echo \"exit status \$?\""
check "merzimctl works while the service is stopped" sh_ct "merzimctl -c $conf plans >/dev/null 2>&1"

say "container: the SMTP password in a file of merzim's user alone instead"
show "chown merzim:merzim /etc/merzim/smtp-password && chmod 0600 /etc/merzim/smtp-password && rm /etc/systemd/system/merzim.service.d/credentials.conf && sed -i 's|password_file = \"/run/credentials/merzim.service/smtp-password\"|password_file = \"/etc/merzim/smtp-password\"|' $conf && systemctl daemon-reload && merzimd --check-config -c $conf"
c7=$(cursor)
show 'systemctl start merzim.service && systemctl is-active merzim.service'
check "merzimd starts with password_file in /etc/merzim (merzim:merzim 0600)" wait_journal "$c7" "merzimd .* started" 30
show "systemctl stop merzim.service && merzimd --check-config -c $conf && merzimctl -c $conf plans"
check "then merzimd --check-config and merzimctl work while the service is stopped" \
        sh_ct "merzimd --check-config -c $conf >/dev/null 2>&1 && merzimctl -c $conf plans >/dev/null 2>&1"

say "container: everything merzim.service logged at priority err or above"
journal_since "" -o short-iso -p err || true

say "report"
echo "merzim deployed in a booted Debian 12 container ($root), systemd $(ct systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p')$report"
if [ "$failures" -gt 0 ]; then
        echo "$failures step(s) failed"
        exit 1
fi
echo "all steps passed"
