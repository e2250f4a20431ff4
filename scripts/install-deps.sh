#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian/Ubuntu packages backdrop needs, only those missing.
# Usage: scripts/install-deps.sh [build|test|e2e|quality|deb|package]
set -eu
mode=${1:-build}
pkgs="gcc make pkg-config libcjson-dev libxnnpack-dev libpthreadpool-dev libyuv-dev libjpeg62-turbo-dev libpng-dev libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libsdl2-dev libpipewire-0.3-dev"
# the D-Bus service and backdrop ctl (GDBus, gio-2.0)
pkgs="$pkgs libglib2.0-dev"
# backdrop-settings, the GTK 4 window (src/settings/): GTK, libadwaita, and
# GStreamer for its preview (pipewiresrc/v4l2src -> appsink)
pkgs="$pkgs libgtk-4-dev libadwaita-1-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev"
# the OBS filter (plugins/obs/), built against Debian's OBS 29
pkgs="$pkgs libobs-dev"
if [ "$mode" = test ]; then
    pkgs="$pkgs clang libclang-rt-14-dev ffmpeg python3"
    # tests/pipewire/run.sh: a private PipeWire daemon and a GStreamer consumer
    pkgs="$pkgs pipewire wireplumber dbus gstreamer1.0-tools gstreamer1.0-pipewire gstreamer1.0-plugins-base gstreamer1.0-plugins-good"
    # tests/gstreamer (make gst-test): the doctor clip (H.264) decoded by
    # decodebin needs avdec_h264
    pkgs="$pkgs gstreamer1.0-libav"
    # tests/dbus/run.sh: a private dbus-daemon (dbus, above), gdbus as an independent client
    pkgs="$pkgs libglib2.0-bin"
    # tests/settings/run.sh: the window under Xvfb; appstreamcli and
    # desktop-file-validate check its metadata (install-test)
    pkgs="$pkgs xvfb xauth x11-utils appstream desktop-file-utils"
    # make web / web-test: the WebAssembly build (Debian's emscripten), the
    # demo page in headless Chromium and Firefox ESR; curl fetches libyuv's
    # Debian source for it (scripts/fetch-libyuv.sh)
    pkgs="$pkgs emscripten chromium firefox-esr curl"
    # tests/obs/run.sh: libobs headless under Xvfb (libobs-opengl on Mesa's
    # llvmpipe), obs-studio's obs-ffmpeg module for the media source
    pkgs="$pkgs obs-studio libx11-dev libgl1-mesa-dri libegl-mesa0"
fi
# make e2e: the tests in the VM (tests/vm/e2e.sh) play video with ffmpeg and
# open the camera in Chromium; the VM's own packages come from tests/vm/build.sh.
if [ "$mode" = e2e ]; then
    pkgs="$pkgs ffmpeg python3 chromium"
    # make settings-vm-test: the session bus of systemd --user (dbus.socket),
    # the window under Xvfb, its loopback preview (v4l2src)
    pkgs="$pkgs dbus-user-session xvfb gstreamer1.0-plugins-good"
fi
# make deb: dpkg-buildpackage with debhelper, and lintian; make package-test
# also debootstraps a Debian root to install the packages into.
if [ "$mode" = deb ] || [ "$mode" = package ]; then
    pkgs="$pkgs debhelper dpkg-dev lintian libglib2.0-dev libobs-dev"
fi
if [ "$mode" = package ]; then
    pkgs="$pkgs debootstrap ffmpeg procps"
fi
# make quality: the build packages only; its background photos come from
# Debian packages that bench/quality/fetch-backgrounds.sh downloads (apt-get
# download, not installed). Make sure apt's lists know them.
if [ "$mode" = quality ] && ! apt-cache show python3-skimage opencv-doc >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] && apt-get update -qq || sudo apt-get update -qq
fi
# Node and npm fetch the models (npm pack) and run the TFLite reference.
command -v npm >/dev/null 2>&1 || pkgs="$pkgs nodejs npm"
# Ubuntu names libjpeg-turbo's dev package libjpeg-turbo8-dev.
if ! apt-cache show libjpeg62-turbo-dev >/dev/null 2>&1; then
    pkgs=$(echo "$pkgs" | sed 's/libjpeg62-turbo-dev/libjpeg-turbo8-dev/')
fi
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
