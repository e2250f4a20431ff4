#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# make install and make uninstall into a scratch DESTDIR with PREFIX=/usr:
# every file in its place and working (the library's SONAME and links, the
# pkg-config file, the man pages against `backdrop --help`, the sample
# config against the parser, the unit, the modprobe snippet, the bash
# completion), a bad config line exits 2 (the unit's
# RestartPreventExitStatus), and uninstall leaves no file behind.
# usage: tests/package/install.sh BUILD    (run by `make install-test`)
set -u
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../vm/lib.sh
. "$here/../vm/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
d=$tmp/root
mk() { make --no-print-directory BUILD="$build" PREFIX=/usr DESTDIR="$d" "$@"; }

section "make install DESTDIR=... PREFIX=/usr"
if ! mk install >"$tmp/install.log" 2>&1; then
    cat "$tmp/install.log"
    fail "make install"
    echo "$passed passed, $failed failed, $skipped skipped"
    exit 1
fi
pass "make install"

ver=$(awk '/define BD_VERSION_(MAJOR|MINOR|PATCH) /{printf "%s%s", s, $3; s = "."}' include/backdrop.h)
want="usr/bin/backdrop
usr/bin/backdrop-settings
usr/share/man/man1/backdrop-settings.1
usr/share/applications/io.github.backdrop.Settings.desktop
usr/share/icons/hicolor/scalable/apps/io.github.backdrop.Settings.svg
usr/share/metainfo/io.github.backdrop.Settings.metainfo.xml
usr/include/backdrop.h
usr/lib/libbackdrop.a
usr/lib/gstreamer-1.0/libgstbackdrop.so
usr/lib/libbackdrop.so
usr/lib/libbackdrop.so.0
usr/lib/libbackdrop.so.$ver
usr/lib/modprobe.d/backdrop.conf
usr/lib/modules-load.d/backdrop.conf
usr/lib/pkgconfig/backdrop.pc
usr/lib/systemd/user/backdrop.service
usr/share/bash-completion/completions/backdrop
usr/share/doc/backdrop/examples/backdrop.conf
usr/share/man/man1/backdrop.1
usr/share/man/man5/backdrop.conf.5"
# the OBS filter, in Debian's OBS folders (mk/obs.mk), when libobs-dev is there
if pkg-config --exists libobs; then
    multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
    want="$want
usr/lib/$multiarch/obs-plugins/obs-backdrop.so
usr/share/obs/obs-plugins/obs-backdrop/locale/en-US.ini"
fi
for f in data/dbus/*; do
    [ -e "$f" ] || continue
    n=$(basename "$f" .in)
    case $n in
    *.service) want="$want"$'\n'"usr/share/dbus-1/services/$n" ;;
    *.xml) want="$want"$'\n'"usr/share/dbus-1/interfaces/$n" ;;
    esac
done
got=$(cd "$d" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort)
want=$(echo "$want" | sort)
if [ "$got" = "$want" ]; then pass "the installed files are exactly the list ($(echo "$got" | wc -l))"
else fail "installed files differ from the list:"; diff <(echo "$want") <(echo "$got"); fi

section "the GStreamer element"
out=$(GST_REGISTRY="$tmp/gst-registry.bin" GST_PLUGIN_SYSTEM_PATH="$d/usr/lib/gstreamer-1.0" \
      gst-inspect-1.0 backdrop 2>&1)
check "gst-inspect-1.0 finds the element backdrop in the installed plugin folder (Filter/Effect/Video)" \
    bash -c "grep -q 'Filter/Effect/Video' <<<\"\$0\" && grep -q 'libgstbackdrop.so' <<<\"\$0\"" "$out"

section "the library"
lib=$d/usr/lib
soname=$(readelf -d "$lib/libbackdrop.so.$ver" 2>/dev/null | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
check "SONAME libbackdrop.so.0 (got '$soname')" [ "$soname" = libbackdrop.so.0 ]
check "libbackdrop.so.0 -> libbackdrop.so.$ver" [ "$(readlink "$lib/libbackdrop.so.0")" = "libbackdrop.so.$ver" ]
check "libbackdrop.so -> libbackdrop.so.0" [ "$(readlink "$lib/libbackdrop.so")" = libbackdrop.so.0 ]
check "libbackdrop.so exports bd_options" \
    bash -c "nm -D --defined-only '$lib/libbackdrop.so.$ver' | grep -qw bd_options"
check "libbackdrop.a holds the options table" \
    bash -c "nm '$lib/libbackdrop.a' 2>/dev/null | grep -qw 'T bd_options'"
pc() { PKG_CONFIG_PATH=$lib/pkgconfig pkg-config "$@" backdrop | sed "s/ *$//"; }
check "pkg-config --modversion = $ver" [ "$(pc --modversion)" = "$ver" ]
check "pkg-config --variable=includedir: /usr/include" [ "$(pc --variable=includedir)" = /usr/include ]
check "pkg-config --libs: -lbackdrop alone ($(pc --libs))" [ "$(pc --libs)" = "-lbackdrop" ]
check "pkg-config --static --libs: the static deps too" bash -c "[[ '$(pc --static --libs)' == *-lavformat*-lyuv* ]]"
check "backdrop --version" [ "$("$d/usr/bin/backdrop" --version)" = "backdrop $ver" ]

section "man pages against backdrop --help"
help=$("$d/usr/bin/backdrop" --help)
man1=$(MANWIDTH=200 man -l "$d/usr/share/man/man1/backdrop.1" 2>/dev/null)
man5=$(MANWIDTH=200 man -l "$d/usr/share/man/man5/backdrop.conf.5" 2>/dev/null)
for m in man1/backdrop.1 man5/backdrop.conf.5 man1/backdrop-settings.1; do
    w=$(man --warnings -l "$d/usr/share/man/$m" 2>&1 >/dev/null)
    if [ -z "$w" ]; then pass "$m renders without warnings"; else fail "$m: $w"; fi
done
check "backdrop(1) has NAME, OPTIONS and DIAGNOSTICS" \
    bash -c "grep -q '^NAME' <<<\"\$0\" && grep -q '^OPTIONS' <<<\"\$0\" && grep -q '^DIAGNOSTICS' <<<\"\$0\"" "$man1"
check "no placeholder left in the generated files" \
    bash -c "! grep -l '@[A-Z_]*@' '$d/usr/share/man/man1/backdrop.1' '$d/usr/share/man/man5/backdrop.conf.5' \
             '$d/usr/lib/systemd/user/backdrop.service' '$d/usr/lib/pkgconfig/backdrop.pc' \
             '$d/usr/share/doc/backdrop/examples/backdrop.conf' '$d/usr/share/bash-completion/completions/backdrop'"
# Each option of --help: its entry in backdrop(1) with the same default and
# range, and (but --config) in backdrop.conf(5) and the sample config.
opts=$(sed -n 's/^ *\(-., \)\{0,1\}--\([a-z0-9-]*\).*/\2/p' <<<"$help")
n=0 bad=""
for o in $opts; do
    line=$(grep -E -- "^ *(-., )?--$o( |$)" <<<"$help")
    entry=$(awk -v o="--$o" '$0 ~ "^       (-., )?" o "( |,|$)" {f = 1; print; next}
                             f && /^       [^ ]/ {exit} f' <<<"$man1")
    def=$(sed -n 's/.*(default: \([^)]*\))$/\1/p' <<<"$line")
    range=$(sed -n 's/.*\[\(-\{0,1\}[0-9]*\)\.\.\(-\{0,1\}[0-9]*\)\].*/From \1 to \2./p' <<<"$line")
    n=$((n + 1))
    [ -n "$entry" ] || { bad="$bad --$o(missing)"; continue; }
    # man wraps the entry where it likes ("Default:" at one line's end, the
    # value on the next): compare its words, not its lines
    entry=$(tr -s ' \n' '  ' <<<"$entry")
    # a default of the table, or one the help sentence itself names
    [ -z "$def" ] || grep -qF -e "Default: $def." -e "(default: $def)" <<<"$entry" || bad="$bad --$o(default $def)"
    [ -z "$range" ] || grep -qF "$range" <<<"$entry" || bad="$bad --$o($range)"
    if [ "$o" != config ]; then
        grep -qE "^       $o( |$)" <<<"$man5" || bad="$bad $o(not in backdrop.conf(5))"
        grep -qE "^#$o =" "$d/usr/share/doc/backdrop/examples/backdrop.conf" || bad="$bad $o(not in the sample)"
    fi
done
if [ "$n" -ge 30 ] && [ -z "$bad" ]; then pass "$n options of --help in backdrop(1), backdrop.conf(5) and the sample, defaults and ranges equal"
else fail "$n options; differ:$bad"; fi
entries=$(grep -cE '^       (-., )?--[a-z0-9-]+( |,|$)' <<<"$(sed -n '/^OPTIONS/,/^COMMANDS/p' <<<"$man1")")
check "backdrop(1) lists no option --help lacks ($entries entries, $n options)" [ "$entries" -eq "$n" ]

section "the sample config and a bad one"
y4m() { printf 'YUV4MPEG2 W64 H48 F30:1 C420jpeg\n'; for _ in 1 2; do printf 'FRAME\n'; head -c 4608 /dev/zero; done; }
sed -n 's/^#\([a-z-]* = .\)/\1/p' "$d/usr/share/doc/backdrop/examples/backdrop.conf" >"$tmp/defaults.conf"
check "the sample's defaults, uncommented ($(wc -l <"$tmp/defaults.conf") settings), are accepted" \
    bash -c "y4m() { $(declare -f y4m | tail -n +2); }; y4m | '$d/usr/bin/backdrop' --config '$tmp/defaults.conf' -i - -o null -n 1 --quiet"
check "the sample as installed (all commented) is accepted" \
    bash -c "y4m() { $(declare -f y4m | tail -n +2); }; y4m | '$d/usr/bin/backdrop' --config '$d/usr/share/doc/backdrop/examples/backdrop.conf' -i - -o null -n 1 --quiet"
printf 'blur = 99\n' >"$tmp/bad.conf"
y4m | "$d/usr/bin/backdrop" --config "$tmp/bad.conf" -i - -o null -n 1 2>"$tmp/err"
rc=$?
check "a bad config line: exit status 2 (got $rc), which the unit does not restart" [ "$rc" -eq 2 ]
check "... and one line naming the file and line: $(head -c 100 "$tmp/err")" \
    bash -c "[ \$(wc -l <'$tmp/err') -eq 1 ] && grep -q 'bad.conf:1: blur' '$tmp/err'"

section "the unit, the module snippets"
unit=$d/usr/lib/systemd/user/backdrop.service
check "ExecStart is the installed binary" grep -qx 'ExecStart=/usr/bin/backdrop --on-demand on' "$unit"
check "Restart=on-failure, RestartPreventExitStatus=2" \
    bash -c "grep -qx 'Restart=on-failure' '$unit' && grep -qx 'RestartPreventExitStatus=2' '$unit'"
# systemd-analyze verify resolves ExecStart and the Documentation= man
# pages in the real root: a copy of the unit naming the binary as
# installed here, and MANPATH.
if command -v systemd-analyze >/dev/null; then
    sed "s|^ExecStart=/usr/bin/|ExecStart=$d/usr/bin/|" "$unit" >"$tmp/backdrop.service"
    mkdir -p -m 700 "$tmp/run"
    if out=$(XDG_RUNTIME_DIR=$tmp/run MANPATH=$d/usr/share/man systemd-analyze --user verify \
                 "$tmp/backdrop.service" 2>&1); then pass "systemd-analyze --user verify"
    else fail "systemd-analyze --user verify: $out"; fi
else
    skip_provided "systemd-analyze (package systemd)"
fi
opts=$(modprobe -C "$d/usr/lib/modprobe.d" -c 2>/dev/null | grep '^options v4l2loopback')
check "modprobe reads: $opts" [ "$opts" = "options v4l2loopback devices=1 exclusive_caps=1 card_label=backdrop" ]
check "modules-load.d loads v4l2loopback" grep -qx v4l2loopback "$d/usr/lib/modules-load.d/backdrop.conf"

section "the settings window's desktop files"
app=io.github.backdrop.Settings
if command -v appstreamcli >/dev/null; then
    if out=$(appstreamcli validate --no-net "$d/usr/share/metainfo/$app.metainfo.xml" 2>&1); then
        pass "appstreamcli validate: $(echo "$out" | tail -1 | tr -s ' ')"
    else fail "appstreamcli validate: $out"; fi
else skip_provided "appstreamcli (package appstream)"; fi
if command -v desktop-file-validate >/dev/null; then
    if out=$(desktop-file-validate "$d/usr/share/applications/$app.desktop" 2>&1) && [ -z "$out" ]; then
        pass "desktop-file-validate $app.desktop"
    else fail "desktop-file-validate: $out"; fi
else skip_provided "desktop-file-validate (package desktop-file-utils)"; fi
check "the .desktop starts the installed binary and names the icon" bash -c \
    "grep -qx 'Exec=backdrop-settings' '$d/usr/share/applications/$app.desktop' &&
     grep -qx 'Icon=$app' '$d/usr/share/applications/$app.desktop'"
check "the icon is an SVG document" bash -c "grep -q '<svg ' '$d/usr/share/icons/hicolor/scalable/apps/$app.svg'"

section "bash completion"
comp() { # WORDS... -> the completions of the last word
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _backdrop; echo "${COMPREPLY[*]}"' \
        _ "$d/usr/share/bash-completion/completions/backdrop" "$@" 2>&1
}
check "backdrop --bl<TAB>: --blur" [ "$(comp backdrop --bl)" = "--blur" ]
check "backdrop --fit <TAB>: its choices" [ "$(comp backdrop --fit '')" = "cover contain stretch tile" ]
check "backdrop --no-mi<TAB>: --no-mirror" [ "$(comp backdrop --no-mi)" = "--no-mirror" ]
check "backdrop -b <TAB>: nothing (a number)" [ -z "$(comp backdrop -b '')" ]
check "backdrop c<TAB>: the commands" [ "$(comp backdrop c)" = "cutout ctl" ]
check "backdrop ctl g<TAB>: get" [ "$(comp backdrop ctl g)" = "get" ]
check "backdrop ctl set bl<TAB>: the live setting" [ "$(comp backdrop ctl set bl)" = "blur" ]
check "backdrop ctl set effect <TAB>: its choices" \
    [ "$(comp backdrop ctl set effect '')" = "blur background color none hologram" ]
check "backdrop ctl set <TAB>: no setting that is not live" bash -c "! grep -qw threads <<<'$(comp backdrop ctl set '')'"
check "backdrop -B <TAB>: file names" [ "$(cd "$here" && comp backdrop -B inst)" = install.sh ]

section "make uninstall"
if mk uninstall >"$tmp/uninstall.log" 2>&1; then pass "make uninstall"; else cat "$tmp/uninstall.log"; fail "make uninstall"; fi
left=$(cd "$d" && find . \( -type f -o -type l \) | sed 's|^\./||')
if [ -z "$left" ]; then pass "no file left behind"; else fail "left behind: $left"; fi
check "backdrop's own folders removed" [ ! -e "$d/usr/share/doc/backdrop" ]

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
