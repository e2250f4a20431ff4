#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The Debian packages installed into a fresh Debian 12 root and used there:
# apt-get install of the three .debs (their dependencies from Debian's
# registry), backdrop --version, man backdrop, a 3-second file-to-file run
# on the sample video, systemd-analyze verify on the unit, a C program built
# with pkg-config that cuts a person out of a photo, the plugins' packages
# (gst-inspect-1.0 and a gst-launch colour effect read back; obs-backdrop's
# files where libobs looks, and Debian's libobs loading it under Xvfb:
# tests/package/obs_load.c), and apt-get purge leaving none of the
# packages' files.
#
# The root comes from debootstrap --variant=minbase with the tools the test
# needs (systemd, man-db, gcc, pkgconf), from the Debian mirror of this
# machine's apt sources; it is kept as a tarball, keyed by the suite and the
# tools, with the downloaded .debs beside it, outside the checkout
# (BACKDROP_TEST_CACHE, default /var/cache/backdrop-tests, or
# ~/.cache/backdrop-tests when that is not writable), so that a second run,
# and CI's fresh clone on the same machine, only unpack it. Each run gets a
# new copy in BUILD/pkgroot; mounts live in a private mount namespace.
# usage: tests/package/chroot.sh BUILD DEBDIR    (run by `make package-test`)
set -u
build=${1:-build}
debdir=${2:-$build/deb}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../vm/lib.sh
. "$here/../vm/lib.sh"
shared=${SHARED:-../shared/data}
video=$shared/video/doctor_26732.mp4
photo=$shared/video/girl-919048_1280.jpg
t_start=$(date +%s)
elapsed() { echo "$(($(date +%s) - t_start)) s"; }
finish() {
    echo
    echo "package test: $(elapsed) in all"
    echo "$passed passed, $failed failed, $skipped skipped"
    [ "$failed" -eq 0 ]
    exit
}

if [ "$(id -u)" -ne 0 ]; then
    skip "the package test needs root (debootstrap, chroot)"
    finish
fi
scripts/install-deps.sh package

debs=$(ls "$debdir"/backdrop_*.deb "$debdir"/libbackdrop0_*.deb "$debdir"/libbackdrop-dev_*.deb \
          "$debdir"/backdrop-settings_*.deb 2>/dev/null)
if [ "$(echo "$debs" | grep -c .)" -ne 4 ]; then
    fail "four packages in $debdir (make deb)"
    finish
fi

section "the Debian 12 root"
cache=${BACKDROP_TEST_CACHE:-/var/cache/backdrop-tests}
mkdir -p "$cache/archives/partial" 2>/dev/null || {
    cache=${XDG_CACHE_HOME:-$HOME/.cache}/backdrop-tests
    mkdir -p "$cache/archives/partial"
}
tools="systemd man-db gcc libc6-dev pkgconf"
tarball=$cache/bookworm-minbase-$(echo "$tools" | sha256sum | cut -c1-12).tar
# The Debian mirror this machine's apt uses for bookworm (not -security).
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
         awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}')
[ -n "$mirror" ] || mirror=$(awk '/^URIs:/ {u = $2} /^Suites:/ && / bookworm( |$)/ && u {print u; exit}' \
                                 /etc/apt/sources.list.d/*.sources 2>/dev/null)
if [ ! -f "$tarball" ]; then
    if [ -z "$mirror" ]; then
        fail "no Debian bookworm mirror in /etc/apt/sources.list*"
        finish
    fi
    t0=$(date +%s)
    rm -rf "$cache/new"
    if ! debootstrap --variant=minbase --include="${tools// /,}" --cache-dir="$(cd "$cache/archives" && pwd)" \
            bookworm "$cache/new" "$mirror" >"$cache/debootstrap.log" 2>&1; then
        tail -n 20 "$cache/debootstrap.log"
        fail "debootstrap bookworm from $mirror"
        finish
    fi
    # this machine's apt sources (bookworm, its updates and security), so
    # the packages' dependencies resolve to the versions they were built with
    if grep -q '^VERSION_CODENAME=bookworm' /etc/os-release; then
        cp /etc/apt/sources.list.d/*.sources "$cache/new/etc/apt/sources.list.d/" 2>/dev/null &&
            : >"$cache/new/etc/apt/sources.list"
        [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list &&
            cp /etc/apt/sources.list "$cache/new/etc/apt/sources.list"
    fi
    rm -f "$cache/new/var/cache/apt/archives/"*.deb
    tar -C "$cache/new" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$cache/new"
    pass "debootstrap --variant=minbase bookworm + $tools: $(($(date +%s) - t0)) s (cached for the next run)"
else
    pass "the cached root $(basename "$tarball")"
fi
root=$build/pkgroot/root
rm -rf "$root" && mkdir -p "$root"
tar -C "$root" -xf "$tarball"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
mkdir -p "$root/tmp/debs"
cp $debs "$root/tmp/debs/"
cp "$here/cutout.c" "$root/tmp/"
have_video=0 have_photo=0
[ -f "$video" ] && cp "$video" "$root/tmp/in.mp4" && have_video=1
[ -f "$photo" ] && cp "$photo" "$root/tmp/photo.jpg" && have_photo=1
echo "root ready: $(elapsed)"

# Everything in the root runs in one private mount namespace: /proc, /dev
# and the apt cache are mounted there and vanish with it.
inroot() { # SCRIPT: runs SCRIPT (bash) in the root; its stdout and status
    unshare --mount --propagation private bash -c '
        root=$1 archives=$2 script=$3
        mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" &&
            mount --bind "$archives" "$root/var/cache/apt/archives" || exit 99
        chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
            DEBIAN_FRONTEND=noninteractive /bin/bash -c "$script"' _ "$root" "$(cd "$cache/archives" && pwd)" "$1"
}

section "apt-get install ./backdrop_*.deb ./libbackdrop0_*.deb ./libbackdrop-dev_*.deb ./backdrop-settings_*.deb"
t0=$(date +%s)
if inroot 'cd /tmp/debs && (apt-get update -qq || true) &&
           apt-get install -y -qq --no-install-recommends ./*.deb' >"$build/pkgroot/install.log" 2>&1; then
    pass "installed with their dependencies: $(($(date +%s) - t0)) s"
else
    tail -n 30 "$build/pkgroot/install.log"
    fail "apt-get install of the packages"
    finish
fi
check "backdrop Recommends v4l2loopback-dkms" \
    bash -c "dpkg-deb -f $debdir/backdrop_*.deb Recommends | grep -qw v4l2loopback-dkms"
check "backdrop Depends on its libraries (dh_shlibdeps): $(dpkg-deb -f "$debdir"/backdrop_*.deb Depends | cut -c1-60)..." \
    bash -c "dpkg-deb -f $debdir/backdrop_*.deb Depends | grep -q libavcodec"

section "the settings window's package"
sid=io.github.backdrop.Settings
for f in /usr/bin/backdrop-settings /usr/share/applications/$sid.desktop \
         /usr/share/icons/hicolor/scalable/apps/$sid.svg /usr/share/metainfo/$sid.metainfo.xml \
         /usr/share/man/man1/backdrop-settings.1.gz; do
    check "backdrop-settings installs $f" test -s "$root$f"
done
out=$(inroot 'ldd /usr/bin/backdrop-settings | grep -c "not found"; ldd /usr/bin/backdrop-settings | grep -o "libadwaita-1.so.0\|libgtk-4.so.1" | sort -u | tr "\n" " "' 2>&1)
check "backdrop-settings links (GTK 4, libadwaita from Debian's packages, nothing missing): ${out//$'\n'/ }" \
    bash -c "[[ \"\$0\" == '0'*'libadwaita-1.so.0 libgtk-4.so.1 ' ]]" "$out"
check "its .desktop: desktop-file-validate, Exec=backdrop-settings, Icon=$sid" \
    bash -c "desktop-file-validate '$root/usr/share/applications/$sid.desktop' &&
             grep -qx 'Exec=backdrop-settings' '$root/usr/share/applications/$sid.desktop' &&
             grep -qx 'Icon=$sid' '$root/usr/share/applications/$sid.desktop'"
check "its icon is an SVG" bash -c "head -c 400 '$root/usr/share/icons/hicolor/scalable/apps/$sid.svg' | grep -q '<svg'"
out=$(appstreamcli validate --no-net --pedantic "$root/usr/share/metainfo/$sid.metainfo.xml" 2>&1)
rc=$?
echo "$out" | sed 's/^/  | /'
check "appstreamcli validate accepts its AppStream file (status $rc)" test $rc -eq 0
check "... which names the .desktop file and the id" \
    bash -c "grep -q '<launchable type=\"desktop-id\">$sid.desktop</launchable>' '$root/usr/share/metainfo/$sid.metainfo.xml' &&
             grep -q '<id>$sid</id>' '$root/usr/share/metainfo/$sid.metainfo.xml'"

section "the command"
ver=$(awk '/define BD_VERSION_(MAJOR|MINOR|PATCH) /{printf "%s%s", s, $3; s = "."}' include/backdrop.h)
out=$(inroot 'backdrop --version' 2>&1)
check "backdrop --version: $out" [ "$out" = "backdrop $ver" ]
out=$(inroot 'MANWIDTH=80 man backdrop 2>&1 | head -n 8; man -w backdrop.conf' 2>&1)
check "man backdrop: the page, and backdrop.conf(5) found" \
    bash -c "grep -q 'backdrop - virtual background camera' <<<\"\$0\" && grep -q 'man5/backdrop.conf.5' <<<\"\$0\"" "$out"
out=$(inroot 'MANWIDTH=200 man backdrop 2>/dev/null | grep -c "^       \(-., \)\{0,1\}--[a-z]"' 2>&1)
check "man backdrop lists the options ($out)" [ "${out:-0}" -ge 30 ]
if [ "$have_video" = 1 ]; then
    t0=$(date +%s)
    if inroot 'backdrop -i /tmp/in.mp4 -o /tmp/out.mp4 -n 90 --quiet' >"$build/pkgroot/run.log" 2>&1; then
        frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,width,height \
                 -of csv=p=0 "$root/tmp/out.mp4" 2>/dev/null)
        check "backdrop -i in.mp4 -o out.mp4 -n 90 ($(($(date +%s) - t0)) s): out.mp4 has 960x540, 90 frames ($frames)" \
            [ "$frames" = "960,540,90" ]
    else
        cat "$build/pkgroot/run.log"
        fail "backdrop -i in.mp4 -o out.mp4 -n 90"
    fi
else
    skip_provided "the sample video $video"
fi

section "the service"
out=$(inroot 'mkdir -p -m 700 /tmp/run && XDG_RUNTIME_DIR=/tmp/run systemd-analyze --user verify \
              /usr/lib/systemd/user/backdrop.service 2>&1; echo "status $?"')
check "systemd-analyze --user verify backdrop.service: ${out//$'\n'/ }" [ "$out" = "status 0" ]
# deb-systemd-helper --user enable in a postinst would start it at every
# login of every user: its link, or the link it records having made
wants=default.target.wants/backdrop.service
check "not enabled for every user by the package" \
    bash -c "[ ! -e '$root/etc/systemd/user/$wants' ] && [ ! -L '$root/etc/systemd/user/$wants' ] &&
             [ ! -L '$root/var/lib/systemd/deb-systemd-user-helper-enabled/$wants' ] &&
             [ ! -e '$root/var/lib/systemd/deb-systemd-user-helper-enabled/$wants' ]"
out=$(inroot 'systemctl --global enable backdrop.service 2>&1 && readlink /etc/systemd/user/default.target.wants/backdrop.service')
check "systemctl --global enable backdrop (its [Install]): $(tail -n 1 <<<"$out")" \
    [ "$(tail -n 1 <<<"$out")" = /usr/lib/systemd/user/backdrop.service ]
check "modprobe.d: v4l2loopback exclusive_caps=1 card_label=backdrop" \
    grep -q '^options v4l2loopback .*exclusive_caps=1 card_label=backdrop' "$root/lib/modprobe.d/backdrop.conf"
check "modules-load.d: v4l2loopback" grep -qx v4l2loopback "$root/usr/lib/modules-load.d/backdrop.conf"
check "the sample config in /usr/share/doc/backdrop/examples" \
    grep -q '^#blur = ' "$root/usr/share/doc/backdrop/examples/backdrop.conf"
check "bash completion" test -s "$root/usr/share/bash-completion/completions/backdrop"
check "D-Bus: the activation file starts the unit, the interface is there" \
    bash -c "grep -qx 'SystemdService=backdrop.service' '$root'/usr/share/dbus-1/services/*.service &&
             ls '$root'/usr/share/dbus-1/interfaces/*.xml >/dev/null"

section "a C program: pkg-config --cflags --libs backdrop"
if [ "$have_photo" = 1 ]; then
    out=$(inroot 'cd /tmp && gcc -std=c17 -Wall -Wextra -Werror -o cutout cutout.c $(pkg-config --cflags --libs backdrop) &&
                  ldd ./cutout | grep -o "libbackdrop.so.0 => [^ ]*" && ./cutout photo.jpg cut.png' 2>&1)
    rc=$?
    echo "$out"
    check "built against libbackdrop.so.0, the person cut out (middle person, corners background)" \
        bash -c "[ $rc -eq 0 ] && grep -Eq 'libbackdrop.so.0 => (/usr)?/lib/x86_64-linux-gnu/libbackdrop.so.0' <<<\"\$0\"" "$out"
    check "cut.png: an RGBA PNG of the photo's size" \
        bash -c "[ \"\$(ffprobe -v error -show_entries stream=width,height,pix_fmt -of csv=p=0 '$root/tmp/cut.png')\" = 1280,853,rgba ]"
else
    skip_provided "the sample photo $photo"
fi

section "the unit under systemd: a bad config stops it, a crash is retried a few times"
# A systemd system manager boots as PID 1 of a private PID and mount
# namespace in the root (its /dev a few bound nodes, not the host's) and
# runs the installed unit's [Unit] and [Service] as they are, ExecStart
# changed by a drop-in. Stopped with systemctl poweroff.
sd_pid=""
sd() { nsenter -t "$sd_pid" -m -p -r -w /usr/bin/env SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"; }
sd_boot() {
    local u
    for u in getty@.service serial-getty@.service console-getty.service getty-static.service \
             e2scrub_reap.service; do
        ln -sf /dev/null "$root/etc/systemd/system/$u"
    done
    unshare --pid --fork --mount --propagation private bash -c '
        r=$1
        mount -t proc proc "$r/proc" && mount --rbind /sys "$r/sys" &&
            mount -t tmpfs -o mode=755 tmpfs "$r/dev" && mount -t tmpfs tmpfs "$r/run" || exit 99
        for n in null zero full random urandom tty; do
            touch "$r/dev/$n" && mount --bind "/dev/$n" "$r/dev/$n"
        done
        mkdir -p "$r/dev/shm" "$r/dev/pts" && mount -t tmpfs tmpfs "$r/dev/shm"
        exec chroot "$r" /usr/bin/env -i container=backdrop-test /lib/systemd/systemd --system' \
        _ "$root" >"$build/pkgroot/systemd.log" 2>&1 &
    local unshare_pid=$! i
    for i in $(seq 50); do
        sd_pid=$(pgrep -P "$unshare_pid" 2>/dev/null | head -n 1)
        [ -n "$sd_pid" ] && sd test -S /run/systemd/private 2>/dev/null && break
        sleep 0.2
    done
    [ -n "$sd_pid" ] && timeout 60 nsenter -t "$sd_pid" -m -p -r -w /usr/bin/systemctl is-system-running --wait >/dev/null
    [ -n "$sd_pid" ] && sd systemctl is-system-running 2>/dev/null | grep -Eq 'running|degraded'
}
sd_run() { # EXECSTART...: the unit with that ExecStart, started; waits until it gives up
    mkdir -p "$root/etc/systemd/system/backdrop.service.d"
    printf '[Service]\nExecStart=\nExecStart=%s\n' "$*" >"$root/etc/systemd/system/backdrop.service.d/test.conf"
    sd systemctl daemon-reload && sd systemctl reset-failed backdrop.service 2>/dev/null
    sd systemctl start backdrop.service 2>/dev/null
    local i
    for i in $(seq 100); do
        sd systemctl is-failed -q backdrop.service && break
        sleep 0.2
    done
    sd systemctl show -p ExecMainStatus -p NRestarts -p Result -p ActiveState backdrop.service | sort | tr '\n' ' '
}
cp "$root/usr/lib/systemd/user/backdrop.service" "$root/etc/systemd/system/backdrop.service"
# not in /tmp, which systemd-tmpfiles empties at boot
mkdir -p "$root/var/lib/backdrop-test"
printf 'blur = 99\n' >"$root/var/lib/backdrop-test/bad.conf"
if sd_boot; then
    pass "systemd booted in the root ($(sd systemctl --version | head -n 1))"
    st=$(sd_run /usr/bin/backdrop --config /var/lib/backdrop-test/bad.conf -i /dev/null -o null)
    check "a bad config line: status 2, failed at once, not restarted ($st)" \
        [ "$st" = "ActiveState=failed ExecMainStatus=2 NRestarts=0 Result=exit-code " ]
    lines=$(sd journalctl -q -o cat -u backdrop.service _COMM=backdrop)
    check "... one line in the journal: $lines" \
        bash -c "[ \$(grep -c . <<<\"\$0\") -eq 1 ] && grep -q '^backdrop: /var/lib/backdrop-test/bad.conf:1: blur' <<<\"\$0\"" "$lines"
    st=$(sd_run /usr/bin/backdrop -i /var/lib/backdrop-test/missing.mp4 -o null)
    sleep 3
    st2=$(sd systemctl show -p ExecMainStatus -p NRestarts -p Result -p ActiveState backdrop.service | sort | tr '\n' ' ')
    check "a failure of another kind (status 1) is retried a few times, then stays stopped ($st)" \
        bash -c "[[ '$st' == 'ActiveState=failed ExecMainStatus=1 NRestarts='[23]' Result='* ]] && [ '$st' = '$st2' ]"
    sd systemctl poweroff >/dev/null 2>&1
    for _ in $(seq 50); do kill -0 "$sd_pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$sd_pid" 2>/dev/null && kill -KILL "$sd_pid"
    wait
else
    tail -n 20 "$build/pkgroot/systemd.log"
    [ -n "$sd_pid" ] && kill -KILL "$sd_pid"
    fail "systemd as PID 1 of a namespace in the root"
fi

section "the plugins' packages: gstreamer1.0-backdrop and obs-backdrop"
plugpkgs=""
plugdebs=$(ls "$debdir"/gstreamer1.0-backdrop_*.deb "$debdir"/obs-backdrop_*.deb 2>/dev/null)
if [ "$(echo "$plugdebs" | grep -c .)" -ne 2 ]; then
    fail "gstreamer1.0-backdrop and obs-backdrop in $debdir (make deb)"
else
    mkdir -p "$root/tmp/plugdebs" && cp $plugdebs "$root/tmp/plugdebs/"
    cp "$here/obs_load.c" "$root/tmp/"
    t0=$(date +%s)
    # the tools a user of each has: gst-launch and the base elements; libobs
    # comes as obs-backdrop's own dependency; Xvfb because libobs 29 will not
    # start without an X display
    plugpkgs="gstreamer1.0-backdrop obs-backdrop"
    if inroot 'cd /tmp/plugdebs && apt-get install -y -qq --no-install-recommends ./*.deb \
                   gstreamer1.0-tools gstreamer1.0-plugins-base xvfb xauth' >"$build/pkgroot/plugins.log" 2>&1; then
        pass "installed with their dependencies: $(($(date +%s) - t0)) s"
        out=$(inroot 'GST_REGISTRY=/tmp/gst.reg gst-inspect-1.0 backdrop 2>&1')
        check "gst-inspect-1.0 finds the element: $(grep -m1 'Long-name\|Klass' <<<"$out" | tr -s ' ')" \
            grep -q 'Filter/Effect/Video' <<<"$out"
        # no person in the test pattern: all background, so every pixel is
        # the effect's colour (BGRx bytes 0 255 0 to videoconvert's rounding)
        px=$(inroot 'GST_REGISTRY=/tmp/gst.reg gst-launch-1.0 -q videotestsrc num-buffers=5 ! \
                 video/x-raw,format=I420,width=320,height=240 ! backdrop effect=color color=#00ff00 ! \
                 videoconvert ! video/x-raw,format=BGRx ! filesink location=/tmp/gst.raw >/dev/null &&
                 od -An -tu1 -N4 -j $((320 * 4 * 120 + 160 * 4)) /tmp/gst.raw')
        check "gst-launch ... backdrop effect=color color=#00ff00: the middle pixel is B G R x =$px" \
            bash -c 'set -- $0; [ "$1" -le 8 ] && [ "$2" -ge 245 ] && [ "$3" -le 8 ]' "$px"
        mdir=$(inroot 'pkg-config --variable=libdir libobs 2>/dev/null || echo /usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)')
        check "obs-backdrop.so where libobs looks (${mdir}/obs-plugins) and its locale in /usr/share/obs/obs-plugins/obs-backdrop" \
            test -f "$root$mdir/obs-plugins/obs-backdrop.so" -a -f "$root/usr/share/obs/obs-plugins/obs-backdrop/locale/en-US.ini"
        # libobs itself loads the module from where OBS would, with its data
        # (the locale gives the filter's display name); the obs binary's own
        # log is tests/obs/run.sh's (obs-studio is a large install here)
        res=$(inroot "gcc -o /tmp/obs_load /tmp/obs_load.c -ldl && xvfb-run -a /tmp/obs_load $mdir/obs-plugins/obs-backdrop.so /usr/share/obs/obs-plugins/obs-backdrop 2>&1")
        check "libobs loads the module and names its filter: $(grep -m1 -e '^display name' -e '\[backdrop\]' -e 'obs_' <<<"$res")" \
            grep -q '^display name: Background (backdrop)$' <<<"$res"
    else
        tail -n 30 "$build/pkgroot/plugins.log"
        fail "apt-get install of the plugins' packages"
        plugpkgs=""
    fi
fi

section "apt-get purge"
files=$(inroot "dpkg -L backdrop libbackdrop0 libbackdrop-dev backdrop-settings ${plugpkgs:-} | sort -u" 2>/dev/null)
inroot "apt-get purge -y -qq backdrop libbackdrop0 libbackdrop-dev backdrop-settings ${plugpkgs:-}" >"$build/pkgroot/purge.log" 2>&1
left=""
for f in $files; do
    [ -d "$root$f" ] && continue # a folder, maybe the system's (/lib)
    [ -e "$root$f" ] || [ -L "$root$f" ] && left="$left $f"
done
check "purged: none of their $(echo "$files" | grep -c .) paths left as files${left:+:$left}" [ -z "$left" ]

rm -rf "$root"
finish
