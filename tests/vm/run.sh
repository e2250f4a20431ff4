#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Boots Debian's kernel in qemu (TCG), loads vivid and v4l2loopback, and runs
# a host script inside a chroot of the host's / (read-only, over 9p), so the
# project's binaries, v4l2-ctl, ffmpeg... run unchanged on real V4L2 drivers.
#
#   tests/vm/run.sh SCRIPT [ARGS...]
#
# SCRIPT runs as root, cwd = the project dir, stdin /dev/null, stdout and
# stderr (merged) copied to this script's stdout (run.sh's own "vm: ..."
# lines go to stderr), with
#   VM_OUT      a writable dir (the same path on the host: build/vm/runs/...)
#   VM_KERNEL   the guest kernel's version
#   VM_MODROOT  root of its modules: modprobe -d "$VM_MODROOT" MODULE ARGS
# run.sh exits with SCRIPT's exit code; 124 on a timeout, 125 when the VM
# died without one (kernel panic, init failure).
#
# Env (host side):
#   VM_TIMEOUT=300      hard limit in seconds; qemu is killed after it
#   VM_DIR=build/vm     where build.sh put vmlinuz and initramfs.cpio.gz
#   VM_RUN_DIR          results dir (default VM_DIR/runs/DATE-PID; last 10 kept)
#   VM_VIVID_ARGS       vivid's module args ("off": don't load it)
#   VM_LOOPBACK_ARGS    v4l2loopback's module args ("off": don't load it)
#   VM_ENV="A B"        host variables to pass through to SCRIPT
#   VM_CWD              SCRIPT's cwd (default: the project dir)
#   VM_MEM=1024 VM_SMP=2 VM_CPU=Nehalem   the VM's size (no AVX: see README)
#   VM_TCG_OPTS=thread=single   one host thread runs all vCPUs: 2-4x faster
#                       than thread=multi here (see README)
#   VM_PVH=0            boot vmlinuz (bzImage) instead of the extracted vmlinux
#   VM_VERBOSE=1        also show the boot log (and boot without "quiet")
#   VM_KERNEL_ARGS      more kernel command-line arguments
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

say() { echo "vm: $*" >&2; }
die() { say "error: $*"; exit 2; }

[ $# -ge 1 ] || { sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
SCRIPT=$(realpath "$1")
shift
[ -f "$SCRIPT" ] || die "no such script: $SCRIPT"

VM_DIR=$(realpath -m "${VM_DIR:-$ROOT/build/vm}")
VM_TIMEOUT=${VM_TIMEOUT:-300}
[[ $VM_TIMEOUT =~ ^[0-9]+$ ]] && [ "$VM_TIMEOUT" -ge 10 ] || die "VM_TIMEOUT must be a number of seconds >= 10"
VM_CWD=${VM_CWD:-$ROOT}

if [ ! -e "$VM_DIR/vmlinuz" ] || [ ! -e "$VM_DIR/initramfs.cpio.gz" ] || [ ! -e "$VM_DIR/vm.env" ]; then
    "$HERE/build.sh" "$VM_DIR" >&2
fi
# shellcheck source=/dev/null
. "$VM_DIR/vm.env"
command -v qemu-system-x86_64 >/dev/null || "$HERE/build.sh" "$VM_DIR" >&2

# One VM at a time on this machine (its 2 cores are shared).
exec 9>/tmp/backdrop-vm.lock
if ! flock -n 9; then
    say "waiting for another VM to finish"
    flock 9
fi

if [ -n "${VM_RUN_DIR:-}" ]; then
    RUN=$(realpath -m "$VM_RUN_DIR")
else
    RUN=$VM_DIR/runs/$(date +%Y%m%d-%H%M%S)-$$
    # keep the 10 newest runs
    ls -1d "$VM_DIR"/runs/*/ 2>/dev/null | sort | head -n -9 | xargs -r rm -rf || true
fi
case $RUN in *,*) die "the results dir may not contain a comma: $RUN" ;; esac
mkdir -p "$RUN/.vm"
rm -f "$RUN/.vm/rc"
: >"$RUN/console.log"

# Shell-quote for the guest's busybox sh and the host's /bin/sh.
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# The guest mounts fresh file systems on these: a script kept there is
# copied into the results dir (it then runs from there).
# (The project dir itself stays visible wherever it is: see init.)
case $SCRIPT in
    "$VM_CWD"/*) ;;
    /tmp/* | /var/tmp/* | /run/* | /dev/* | /proc/* | /sys/*)
        cp "$SCRIPT" "$RUN/.vm/"
        SCRIPT=$RUN/.vm/$(basename "$SCRIPT")
        ;;
esac

guest_timeout=$((VM_TIMEOUT - 15))
[ $guest_timeout -ge 5 ] || guest_timeout=5
{
    echo "VM_RUN=$(q "$RUN")"
    echo "VM_SCRIPT=$(q "$SCRIPT")"
    echo "VM_CWD=$(q "$VM_CWD")"
    echo "VM_GUEST_TIMEOUT=$guest_timeout"
    echo "MODARGS_vivid=$(q "${VM_VIVID_ARGS-n_devs=1 node_types=0x1 num_inputs=1 input_types=0x0}")"
    echo "MODARGS_v4l2loopback=$(q "${VM_LOOPBACK_ARGS-devices=5 video_nr=10,11,12,13,14 exclusive_caps=1,1,1,1,1 max_buffers=4}")"
    printf 'set --'
    for a in "$@"; do printf ' %s' "$(q "$a")"; done
    echo
} >"$RUN/.vm/job"
{
    echo "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    echo "HOME=/tmp/home"
    echo "TERM=dumb"
    echo "LANG=C.UTF-8"
    echo "VM_OUT=$(q "$RUN")"
    echo "VM_CWD=$(q "$VM_CWD")"
    echo "VM_KERNEL=$(q "$VM_KERNEL")"
    echo "VM_MODROOT=$(q "$VM_MODROOT")"
    # CI: a skip of what the project provides fails there too (lib.sh)
    for v in CI ${VM_ENV:-}; do
        [ -n "${!v+x}" ] && echo "$v=$(q "${!v}")"
    done
} >"$RUN/.vm/env"

verbose=${VM_VERBOSE:-0}
append="console=ttyS0 panic=-1 rdinit=/init mitigations=off"
[ "$verbose" = 1 ] || append+=" quiet"
append+=" ${VM_KERNEL_ARGS:-}"
kernel=$VM_DIR/vmlinuz
[ "${VM_PVH:-1}" = 1 ] && [ -e "$VM_DIR/vmlinux" ] && kernel=$VM_DIR/vmlinux
say "kernel $VM_KERNEL, script $SCRIPT, results $RUN, timeout ${VM_TIMEOUT}s"
t0=$(date +%s.%N)
timeout -k 5 "$VM_TIMEOUT" qemu-system-x86_64 \
    -accel "tcg,${VM_TCG_OPTS:-thread=single}" -cpu "${VM_CPU:-Nehalem}" -m "${VM_MEM:-1024}" -smp "${VM_SMP:-2}" \
    -nographic -vga none -no-reboot -nic none \
    -kernel "$kernel" -initrd "$VM_DIR/initramfs.cpio.gz" \
    -append "$append" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$RUN,mount_tag=out,security_model=none,multidevs=remap" \
    </dev/null >>"$RUN/console.log" 2>&1 9>&- &
qpid=$!

# Show the script's part of the console as it comes (everything with
# VM_VERBOSE). A shell loop, not mawk, which reads its input in blocks.
tail -n +1 -s 0.2 --pid=$qpid -f "$RUN/console.log" 9>&- | {
    on=0
    while IFS= read -r line || [ -n "$line" ]; do
        line=${line%$'\r'}
        case $line in
            *@@VM_BEGIN@@*) on=1; [ "$verbose" = 1 ] || continue ;;
            *@@VM_END\ rc=*) on=0; [ "$verbose" = 1 ] || continue ;;
        esac
        if [ $on = 1 ] || [ "$verbose" = 1 ]; then printf '%s\n' "$line"; fi
    done
} &
tpid=$!
# (wait, unlike a foreground pipeline, lets these traps run at once)
trap 'say "interrupted: stopping the VM"; kill $qpid 2>/dev/null; wait $qpid; exit 130' INT
trap 'say "terminated: stopping the VM"; kill $qpid 2>/dev/null; wait $qpid; exit 143' TERM HUP
wait $tpid || true
qrc=0
wait $qpid || qrc=$?
trap - INT TERM HUP
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

show_boot_log() {
    if [ "${VM_VERBOSE:-0}" = 0 ] && ! grep -q '@@VM_BEGIN@@' "$RUN/console.log"; then
        say "last lines of the console ($RUN/console.log):"
        tail -n 40 "$RUN/console.log" | sed 's/\r$//; s/^/  | /' >&2
    fi
}

if [ -s "$RUN/.vm/rc" ]; then
    rc=$(cat "$RUN/.vm/rc")
    [[ $rc =~ ^[0-9]+$ ]] || rc=125
    [ "$rc" = 125 ] && show_boot_log
    say "script exited $rc; VM ran ${secs}s; results in $RUN"
    exit "$rc"
fi
if [ $qrc = 124 ] || [ $qrc = 137 ]; then
    show_boot_log
    say "TIMEOUT: the VM was killed after ${VM_TIMEOUT}s (VM_TIMEOUT); results in $RUN"
    exit 124
fi
show_boot_log
say "FAILED: the VM stopped without the script's exit status (kernel panic or init failure?), qemu exit $qrc after ${secs}s; console in $RUN/console.log"
exit 125
