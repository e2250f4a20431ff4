#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds what tests/vm/run.sh boots: Debian's own kernel (vmlinuz) and an
# initramfs with busybox, tests/vm/init and the modules for virtio/9p,
# vivid and v4l2loopback (built here from Debian's v4l2loopback-dkms), and
# beside it a current v4l2loopback (trixie's v4l2loopback-dkms, built for
# the same kernel: v4l2loopback-current.ko, which tests/vm/ondemand.sh
# loads in place of the first).
#
#   tests/vm/build.sh [OUTDIR]        (default build/vm)
#
# Idempotent: each step is skipped when its output exists (a second run
# takes about a second). Env:
#   VM_KERNEL   kernel ABI to use (default: what linux-image-amd64 depends on)
#   VM_MODULES  extra modules to put in the initramfs and load at boot
# See tests/vm/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$(realpath -m "${1:-$ROOT/build/vm}")
mkdir -p "$OUT"

log() { echo "vm-build: $*" >&2; }
die() { log "error: $*"; exit 1; }
t0=$(date +%s.%N)

[ "$(id -u)" = 0 ] || die "must run as root (apt-get, and mknod for the initramfs)"

export DEBIAN_FRONTEND=noninteractive
updated=0
apt_update() {
    if [ $updated = 0 ]; then
        log "apt-get update"
        apt-get update -qq >&2
        updated=1
    fi
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

install_missing() {
    local p missing=()
    for p in "$@"; do installed "$p" || missing+=("$p"); done
    [ ${#missing[@]} = 0 ] && return 0
    apt_update
    log "apt-get install ${missing[*]}"
    apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

# -- kernel version ---------------------------------------------------------
kernel_abi() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: linux-image-\([0-9].*\)$/\1/p' | head -n 1
}
K=${VM_KERNEL:-}
if [ -z "$K" ]; then
    K=$(kernel_abi)
    if [ -z "$K" ]; then apt_update; K=$(kernel_abi); fi
    [ -n "$K" ] || die "cannot tell which kernel linux-image-amd64 depends on"
fi

# -- packages -----------------------------------------------------------------
install_missing qemu-system-x86 busybox-static v4l-utils cpio kmod xz-utils "linux-headers-$K"

# -- download and unpack the kernel and v4l2loopback-dkms (not installed) ---
mkdir -p "$OUT/debs"
download() { # PACKAGE GLOB: leaves the .deb in $OUT/debs, prints its path
    local f
    f=$(ls "$OUT/debs/"$2 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$f" ]; then
        log "apt-get download $1"
        (cd "$OUT/debs" && apt-get download -qq -o APT::Sandbox::User=root "$1" >&2) ||
            { apt_update; (cd "$OUT/debs" && apt-get download -qq -o APT::Sandbox::User=root "$1" >&2); }
        f=$(ls "$OUT/debs/"$2 2>/dev/null | sort -V | tail -n 1)
        [ -n "$f" ] || die "apt-get download $1 left no $2"
    fi
    echo "$f"
}
KDEB=$(download "linux-image-$K" "linux-image-${K}_*.deb")
LDEB=$(download v4l2loopback-dkms "v4l2loopback-dkms_*.deb")

KROOT=$OUT/kernel-$K        # the unpacked linux-image package
if [ ! -e "$KROOT/.unpacked" ]; then
    log "unpacking $(basename "$KDEB")"
    rm -rf "$KROOT" "$KROOT.tmp"
    mkdir -p "$KROOT.tmp"
    dpkg-deb -x "$KDEB" "$KROOT.tmp"
    mv "$KROOT.tmp" "$KROOT"
    touch "$KROOT/.unpacked"
fi
MODDIR=$KROOT/lib/modules/$K
[ -d "$MODDIR" ] || die "$KDEB has no lib/modules/$K"

LVER=$(dpkg-deb -f "$LDEB" Version)
LSRC=$OUT/v4l2loopback-$LVER      # unpacked v4l2loopback-dkms
if [ ! -e "$LSRC/.unpacked" ]; then
    log "unpacking $(basename "$LDEB")"
    rm -rf "$LSRC" "$LSRC.tmp"
    mkdir -p "$LSRC.tmp"
    dpkg-deb -x "$LDEB" "$LSRC.tmp"
    mv "$LSRC.tmp" "$LSRC"
    touch "$LSRC/.unpacked"
fi

# -- build v4l2loopback against Debian's headers for $K ----------------------
LKO=$MODDIR/updates/v4l2loopback.ko
if [ ! -e "$LKO" ] || [ "$(cat "$MODDIR/updates/.v4l2loopback-version" 2>/dev/null)" != "$LVER" ]; then
    src=$(ls -d "$LSRC"/usr/src/v4l2loopback-*/ | head -n 1)
    [ -n "$src" ] || die "no usr/src/v4l2loopback-* in $LDEB"
    bdir=$OUT/v4l2loopback-build-$K-$LVER
    rm -rf "$bdir"
    cp -r "$src" "$bdir"
    log "building v4l2loopback $LVER for $K"
    make -s -C "/usr/src/linux-headers-$K" M="$bdir" modules >"$bdir/build.log" 2>&1 ||
        { cat "$bdir/build.log" >&2; die "v4l2loopback failed to build"; }
    mkdir -p "$MODDIR/updates"
    cp "$bdir/v4l2loopback.ko" "$LKO"
    echo "$LVER" >"$MODDIR/updates/.v4l2loopback-version"
    depmod -b "$KROOT" "$K"
fi

# -- a current v4l2loopback (Debian trixie's), built beside 0.12.x ----------
# Not in the initramfs: tests/vm/ondemand.sh swaps it in (rmmod, insmod)
# to run the same tests on both. apt-get download only, with a private
# sources list and state dir: nothing on this machine is upgraded from
# trixie, and the system's package lists are not touched.
CURRENT_SUITE=${VM_LOOPBACK_CURRENT_SUITE:-trixie}
CDEB=$(ls "$OUT/debs/current/"v4l2loopback-dkms_*.deb 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$CDEB" ]; then
    capt=$OUT/apt-$CURRENT_SUITE
    mkdir -p "$capt/lists/partial" "$capt/parts" "$capt/cache/archives/partial" "$OUT/debs/current"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $CURRENT_SUITE main" \
        >"$capt/sources.list"
    aopt=(-o "Dir::Etc::sourcelist=$capt/sources.list" -o "Dir::Etc::sourceparts=$capt/parts"
          -o "Dir::State::Lists=$capt/lists" -o "Dir::Cache=$capt/cache" -o APT::Sandbox::User=root)
    log "apt-get download v4l2loopback-dkms ($CURRENT_SUITE)"
    apt-get "${aopt[@]}" update -qq >&2 &&
        (cd "$OUT/debs/current" && apt-get "${aopt[@]}" download -qq v4l2loopback-dkms >&2) ||
        die "cannot download $CURRENT_SUITE's v4l2loopback-dkms"
    CDEB=$(ls "$OUT/debs/current/"v4l2loopback-dkms_*.deb | sort -V | tail -n 1)
fi
CVER=$(dpkg-deb -f "$CDEB" Version)
CKO=$OUT/v4l2loopback-current.ko
if [ ! -e "$CKO" ] || [ "$(cat "$OUT/.v4l2loopback-current-version" 2>/dev/null)" != "$K $CVER" ]; then
    cbuild=$OUT/v4l2loopback-build-$K-$CVER
    rm -rf "$cbuild" "$cbuild.deb"
    mkdir -p "$cbuild.deb"
    dpkg-deb -x "$CDEB" "$cbuild.deb"
    csrc=$(ls -d "$cbuild.deb"/usr/src/v4l2loopback-*/ | head -n 1)
    [ -n "$csrc" ] || die "no usr/src/v4l2loopback-* in $CDEB"
    cp -r "$csrc" "$cbuild"
    rm -rf "$cbuild.deb"
    log "building v4l2loopback $CVER for $K"
    make -s -C "/usr/src/linux-headers-$K" M="$cbuild" modules >"$cbuild/build.log" 2>&1 ||
        { cat "$cbuild/build.log" >&2; die "v4l2loopback $CVER failed to build"; }
    cp "$cbuild/v4l2loopback.ko" "$CKO"
    echo "$K $CVER" >"$OUT/.v4l2loopback-current-version"
fi

# -- initramfs ---------------------------------------------------------------
BASE_MODS="virtio_pci 9pnet_virtio 9p"
MEDIA_MODS="vivid v4l2loopback ${VM_MODULES:-}"
deps() { # MODULE...: module files in load order, without duplicates
    modprobe -d "$KROOT" -S "$K" -a --show-depends "$@" |
        awk '$1 == "insmod" && !seen[$2]++ { print $2 }'
}
BASE_FILES=$(deps $BASE_MODS) || die "modprobe --show-depends $BASE_MODS failed"
MEDIA_FILES=$(deps $MEDIA_MODS) || die "modprobe --show-depends $MEDIA_MODS failed"
MEDIA_FILES=$(grep -vxF -f <(echo "$BASE_FILES") <<<"$MEDIA_FILES" || true)

spec=$( {
    echo "$K $LVER"
    echo "$BASE_FILES" "$MEDIA_FILES"
    sha256sum "$HERE/init" "$HERE/build.sh" /bin/busybox
} | sha256sum | cut -c1-64)
if [ ! -e "$OUT/initramfs.cpio.gz" ] || [ "$(cat "$OUT/initramfs.spec" 2>/dev/null)" != "$spec" ]; then
    log "making initramfs.cpio.gz"
    st=$(mktemp -d "$OUT/.initramfs.XXXXXX")
    trap 'rm -rf "$st"' EXIT
    mkdir -p "$st"/{bin,dev,proc,sys,host,out,tmp,etc/vm,lib/modules}
    cp /bin/busybox "$st/bin/busybox"
    for app in $(/bin/busybox --list); do
        [ "$app" = busybox ] || ln -s busybox "$st/bin/$app"
    done
    mknod -m 600 "$st/dev/console" c 5 1
    mknod -m 666 "$st/dev/null" c 1 3
    install -m 755 "$HERE/init" "$st/init"
    add_modules() { # LISTFILE FILES...
        local list=$1 f name
        shift
        : >"$list"
        for f in "$@"; do
            name=$(basename "$f")
            case $name in
                *.ko) cp "$f" "$st/lib/modules/$name" ;;
                *.ko.xz) name=${name%.xz}; xz -dc "$f" >"$st/lib/modules/$name" ;;
                *.ko.zst) name=${name%.zst}; zstd -qdc "$f" >"$st/lib/modules/$name" ;;
                *.ko.gz) name=${name%.gz}; gzip -dc "$f" >"$st/lib/modules/$name" ;;
                *) die "unexpected module file $f" ;;
            esac
            echo "$name" >>"$list"
        done
    }
    # shellcheck disable=SC2086
    add_modules "$st/etc/vm/modules.base" $BASE_FILES
    # shellcheck disable=SC2086
    add_modules "$st/etc/vm/modules.media" $MEDIA_FILES
    (cd "$st" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
        gzip -6 >"$OUT/initramfs.cpio.gz.tmp"
    mv "$OUT/initramfs.cpio.gz.tmp" "$OUT/initramfs.cpio.gz"
    echo "$spec" >"$OUT/initramfs.spec"
    rm -rf "$st"
    trap - EXIT
fi

cmp -s "$KROOT/boot/vmlinuz-$K" "$OUT/vmlinuz" 2>/dev/null || cp "$KROOT/boot/vmlinuz-$K" "$OUT/vmlinuz"

# The uncompressed ELF kernel: qemu boots it through its PVH entry point,
# which skips the bzImage's decompressor (about 3.5 s of a 7 s boot under
# TCG). run.sh uses it when it is there.
extract_vmlinux() { # like the kernel's scripts/extract-vmlinux
    local magic off cmd
    for magic in 'fd377a585a00:xz -dc --single-stream' '28b52ffd:zstd -qdc' '1f8b0800:gzip -dc'; do
        cmd=${magic#*:}
        magic=$(sed 's/../\\x&/g' <<<"${magic%%:*}")
        for off in $(LC_ALL=C grep -obUaP "$magic" "$OUT/vmlinuz" | cut -d: -f1); do
            tail -c +$((off + 1)) "$OUT/vmlinuz" | $cmd >"$OUT/vmlinux.tmp" 2>/dev/null
            if [ "$(head -c 4 "$OUT/vmlinux.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
                mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"
                return 0
            fi
        done
    done
    rm -f "$OUT/vmlinux.tmp"
    return 1
}
if [ ! -e "$OUT/vmlinux" ] || [ "$OUT/vmlinux" -ot "$OUT/vmlinuz" ]; then
    rm -f "$OUT/vmlinux"
    if grep -q '^CONFIG_PVH=y' "$KROOT/boot/config-$K" && extract_vmlinux; then
        log "extracted vmlinux (booted through PVH)"
    else
        log "no PVH vmlinux: run.sh boots vmlinuz (slower)"
    fi
fi

# What run.sh and the scripts it runs need to know.
cat >"$OUT/vm.env.tmp" <<EOF
VM_KERNEL=$K
VM_MODROOT=$KROOT
VM_V4L2LOOPBACK_VERSION=$LVER
VM_V4L2LOOPBACK_CURRENT=$CKO
VM_V4L2LOOPBACK_CURRENT_VERSION=$CVER
EOF
mv "$OUT/vm.env.tmp" "$OUT/vm.env"

log "ready in $OUT: kernel $K, v4l2loopback $LVER, initramfs $(du -k "$OUT/initramfs.cpio.gz" | cut -f1) KiB ($(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s)"
