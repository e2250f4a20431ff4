#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The service restarted by systemd while an app streams (issue 15, faults):
# the app sees a stall, not an error, and the same camera comes back.
#
#   tests/vm/run.sh tests/vm/restart.sh [BACKDROP [OD_CONSUMER [VM_ENV]]]
#   (sourced by tests/vm/ondemand.sh, so make ondemand-test runs it in the
#   same boot, after ondemand's own suites)
#
# A real systemd: `systemd --user` (the host's own binary, Debian 12's 252)
# runs in the VM as the user manager of root, with the installed unit
# (data/backdrop.service.in: Restart=on-failure, RestartSec=2) and a config
# file naming vivid and /dev/video10. It needs what a booted system gives
# it: /run/systemd/system (sd_booted()), a cgroup2 mount and
# XDG_RUNTIME_DIR; the VM's /run and /sys/fs/cgroup are its own, so none of
# that touches the host. Then, on each v4l2loopback version, with one
# consumer (od_consumer stall: plain V4L2 mmap streaming, as a browser)
# streaming throughout:
#  a. `systemctl --user restart backdrop` (SIGTERM, a clean exit, a start)
#  b. SIGKILL to the service's process (a crash): systemd restarts it
#     after RestartSec
# (by default the crash on the current module and the clean restart on
# 0.12.x; RS_ALL=1 runs both on both) and the consumer must see no error
# from poll/DQBUF/QBUF/G_FMT, a stall (its longest gap spans the restart),
# then real frames again, in the format it had.
# Last line (when run, not sourced): "N passed, M failed, K skipped".
set -u

RS_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -z "${VM_OUT:-}" ]; then
    echo "restart.sh runs inside the VM: tests/vm/run.sh tests/vm/restart.sh (or make ondemand-test)" >&2
    exit 2
fi

# systemctl --user, bounded: a manager that stops answering fails the
# check that asked instead of hanging the VM's run
rs_ctl() { timeout 20 systemctl --user "$@"; }

# rs_start_manager: systemd --user, up and answering; 1 (with the reason
# printed) when it cannot run here
rs_start_manager() {
    mkdir -p /run/systemd/system
    mountpoint -q /sys/fs/cgroup || mount -t cgroup2 cgroup2 /sys/fs/cgroup || return 1
    export XDG_RUNTIME_DIR=/run/user/0 XDG_CONFIG_HOME=$HOME/.config
    # the VM runs this in a chroot, where systemctl would only say
    # "Running in chroot, ignoring command"
    export SYSTEMD_IGNORE_CHROOT=1
    mkdir -p -m 700 "$XDG_RUNTIME_DIR"
    # its first unit is an empty target: the host's user units (PipeWire,
    # D-Bus...) that default.target pulls in are not this test's
    mkdir -p "$XDG_CONFIG_HOME/systemd/user"
    printf '[Unit]\nDescription=backdrop restart test\n' \
        >"$XDG_CONFIG_HOME/systemd/user/backdrop-test.target"
    SYSTEMD_LOG_TARGET=console setsid /lib/systemd/systemd --user --unit=backdrop-test.target \
        </dev/null >"$VM_OUT/systemd-user.log" 2>&1 &
    RS_MANAGER=$!
    local i st=
    for i in $(seq 60); do
        st=$(rs_ctl is-system-running 2>&1)
        case $st in running | degraded) return 0 ;; esac
        kill -0 $RS_MANAGER 2>/dev/null || break
        sleep 0.2
    done
    echo "  systemd --user did not come up ($st; $(ls "$XDG_RUNTIME_DIR/systemd" 2>&1 | tr '\n' ' ')):"
    sed 's/^/  | /' "$VM_OUT/systemd-user.log" | tail -n 20
    return 1
}

rs_install_unit() { # BACKDROP: the unit as make install writes it, and a config
    local bindir
    bindir=$(cd "$(dirname "$1")" && pwd)
    mkdir -p "$HOME/.config/systemd/user" "$HOME/.config/backdrop"
    sed "s|@BINDIR@|$bindir|g" "$RS_HERE/../../data/backdrop.service.in" \
        >"$HOME/.config/systemd/user/backdrop.service"
    printf 'input = /dev/video0\noutput = /dev/video10\nsize = 640x360\nfps = 30\nidle-timeout = 3\n' \
        >"$HOME/.config/backdrop/backdrop.conf"
    # the test's own additions, not the unit's: the config's place (the
    # manager's HOME is root's, read-only here) and a log to show
    mkdir -p "$HOME/.config/systemd/user/backdrop.service.d"
    printf '[Service]\nEnvironment=XDG_CONFIG_HOME=%s\nStandardOutput=append:%s\nStandardError=append:%s\n' \
        "$XDG_CONFIG_HOME" "$VM_OUT/backdrop-service.log" "$VM_OUT/backdrop-service.log" \
        >"$HOME/.config/systemd/user/backdrop.service.d/test.conf"
    rs_ctl daemon-reload
}

rs_main_pid() { rs_ctl show -p MainPID --value backdrop 2>/dev/null; }
rs_listed() { v4l2-ctl -d /dev/video10 --info 2>/dev/null | sed -n '/Device Caps/,$p' | grep -q "Video Capture"; }
rs_wait_listed() { # SECONDS
    local end=$((SECONDS + $1))
    while [ $SECONDS -le $end ]; do rs_listed && return 0; sleep 0.3; done
    return 1
}
rs_wait_pid_change() { # OLD SECONDS: until the service runs with another pid
    local end=$((SECONDS + $2)) p
    while [ $SECONDS -le $end ]; do
        p=$(rs_main_pid)
        [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$1" ] && return 0
        sleep 0.2
    done
    return 1
}

# rs_case VER NAME HOW: one restart while od_consumer streams
rs_case() {
    local ver=$1 name=$2 how=$3 out="$VM_OUT/restart-$1-$2.txt" pid0
    pid0=$(rs_main_pid)
    "$RS_CONS" stall /dev/video10 "$RS_SECONDS" >"$out" 2>&1 &
    local cpid=$!
    sleep 3 # real frames first (the webcam opens on demand)
    case $how in
    restart) rs_ctl restart backdrop ;;
    kill) kill -KILL "$pid0" ;;
    esac
    if rs_wait_pid_change "$pid0" 15; then pass "$ver $name: systemd started backdrop again (pid $pid0 -> $(rs_main_pid))"
    else fail "$ver $name: systemd started backdrop again (pid $pid0 -> $(rs_main_pid); $(rs_ctl is-active backdrop))"; fi
    wait $cpid
    local r
    r=$(cat "$out")
    echo "  $ver $name: $r"
    # shellcheck disable=SC2086
    set -- $r
    # frames N real M errors E first_error W gap_ms G real_after_gap R fmt_changes F fmt X
    check "$ver $name: the app saw no error (errors $6, first $8)" test "$6" = 0
    check "$ver $name: it saw a stall spanning the restart (longest gap ${10} ms)" test "${10:-0}" -ge 1500
    check "$ver $name: real frames came back after it (${12} real frames after the gap)" test "${12:-0}" -ge 10
    check "$ver $name: in the format it had (${16}; ${14} changes)" test "${14:-1}" = 0 -a "${16:-}" = 640x360/YUYV
    summary+=("v4l2loopback $ver, $name by systemd: the app stalled ${10} ms, errors $6, then ${12}+ real frames")
}

rs_suite() { # VER "CASES" (its module loaded by the caller)
    local ver=$1
    section "$ver: the service restarted by systemd while an app streams"
    rs_ctl reset-failed backdrop 2>/dev/null
    rs_ctl start backdrop
    if rs_wait_listed 60; then pass "$ver: backdrop.service is up; /dev/video10 is listed"
    else
        fail "$ver: backdrop.service is up; /dev/video10 is listed ($(rs_ctl is-active backdrop))"
        tail -n 20 "$VM_OUT/backdrop-service.log" 2>/dev/null | sed 's/^/  | /'
        return
    fi
    local c
    for c in $2; do
        case $c in
        restart) rs_case "$ver" restart restart ;;
        crash) rs_case "$ver" crash kill ;;
        esac
    done
    rs_ctl stop backdrop
}

# rs_run BACKDROP OD_CONSUMER LOAD_FN: both module versions, current first
# (ondemand.sh leaves it loaded); LOAD_FN 0.12|current swaps the module
rs_run() {
    local t0=$SECONDS
    RS_CONS=$2
    RS_SECONDS=${RS_SECONDS:-25}
    if ! rs_start_manager; then
        fail "systemd --user runs in the VM (the restart tests need it)"
        return
    fi
    rs_install_unit "$1"
    local v
    for v in current 0.12; do
        if [ "$v" = current ] && [ ! -e "${VM_V4L2LOOPBACK_CURRENT:-}" ]; then
            fail "no current v4l2loopback module (tests/vm/build.sh builds v4l2loopback-current.ko)"
            continue
        fi
        "$3" "$v" || { fail "load v4l2loopback $v"; continue; }
        # one kind each by default (the VM suite's time): the crash, which
        # only closes the device, where the client-usage event tells
        # backdrop about the consumer; the clean restart (STREAMOFF, close,
        # start) where /proc does. RS_ALL=1: both kinds on both.
        if [ -n "${RS_ALL:-}" ]; then rs_suite "$v" "restart crash"
        elif [ "$v" = current ]; then rs_suite "$v" crash
        else rs_suite "$v" restart; fi
    done
    rs_ctl exit 2>/dev/null
    local i
    for i in $(seq 50); do kill -0 "$RS_MANAGER" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$RS_MANAGER" 2>/dev/null
    wait "$RS_MANAGER" 2>/dev/null
    summary+=("restart.sh: $((SECONDS - t0)) s in the VM")
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    . "$RS_HERE/lib.sh"
    summary=()
    RS_BD=${1:-build/backdrop}
    # shellcheck source=/dev/null
    . "${3:-build/vm/vm.env}"
    rs_load() {
        rmmod v4l2loopback 2>/dev/null
        local args="devices=5 video_nr=10,11,12,13,14 exclusive_caps=1,1,1,1,1 max_buffers=4"
        if [ "$1" = current ]; then insmod "$VM_V4L2LOOPBACK_CURRENT" $args
        else modprobe -d "$VM_MODROOT" v4l2loopback $args; fi
    }
    v4l2-ctl -d /dev/video0 --set-parm=30 >/dev/null 2>&1
    rs_run "$RS_BD" "${2:-build/od_consumer}" rs_load
    echo
    for s in "${summary[@]}"; do echo "$s"; done
    echo "$passed passed, $failed failed, $skipped skipped"
    [ "$failed" = 0 ]
fi
