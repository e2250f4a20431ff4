#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Fetches the backgrounds listed in bench/quality/backgrounds.txt into DEST
# (apt-get download of each package, one file taken out with dpkg-deb, the
# .deb removed). Files already in DEST are kept. A checksum mismatch (a
# newer package) is reported, not fatal: the numbers are then not
# comparable with earlier runs.
# Usage: bench/quality/fetch-backgrounds.sh DEST
set -eu
dest=${1:?usage: fetch-backgrounds.sh DEST}
manifest=$(cd "$(dirname "$0")" && pwd)/backgrounds.txt
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
updated=0
grep -v '^#' "$manifest" | while IFS='|' read -r name pkg path sum licence; do
    [ -n "$name" ] || continue
    out="$dest/$name"
    if [ ! -s "$out" ]; then
        tmp="$dest/debs"
        mkdir -p "$tmp"
        deb=$(ls "$tmp/${pkg}"_*.deb 2>/dev/null | head -1 || true)
        if [ -z "$deb" ]; then
            echo "fetching $pkg (apt-get download) for $name"
            if ! (cd "$tmp" && apt-get -q download "$pkg" 2>/dev/null); then
                if [ "$updated" = 0 ]; then
                    $SUDO apt-get update -qq
                    updated=1
                fi
                (cd "$tmp" && apt-get -q download "$pkg" 2>/dev/null) ||
                    { echo "fetch-backgrounds: cannot download $pkg" >&2; exit 1; }
            fi
            deb=$(ls "$tmp/${pkg}"_*.deb | head -1)
        fi
        dpkg-deb --fsys-tarfile "$deb" | tar -xO "./$path" >"$out.part" ||
            { echo "fetch-backgrounds: $path not in $deb" >&2; rm -f "$out.part"; exit 1; }
        mv "$out.part" "$out"
    fi
    got=$(sha256sum "$out" | cut -d' ' -f1)
    [ "$got" = "$sum" ] || echo "fetch-backgrounds: warning: $name differs from the listed one ($pkg changed?): numbers not comparable" >&2
done
rm -rf "$dest/debs"
