#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The camera command (`backdrop [options]`) on files, pipes and signals:
# what runs without V4L2 (the VM tests in tests/vm/e2e.* cover the devices).
# Usage: tests/camera_cli.sh BACKDROP_BIN     (run from the repo root; make camera-cli)
# Needs ffmpeg/ffprobe and python3, and ../shared/data/video.
# Last line: "N passed, M failed, 0 skipped" (it skips nothing); exit status 1 when M > 0.
set -u
bin=$1
video=../shared/data/video/doctor_26732.mp4
still=../shared/data/video/doctor-5871743_640.jpg
passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }

for f in "$bin" "$video" "$still"; do
    [ -e "$f" ] || { echo "camera-cli: $f is missing"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/backdrop-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# y4m_stats FILE X Y W H: frame count, then the mean Y, U, V of the box in
# the last frame ("N Y U V").
y4m_stats() {
    python3 - "$@" <<'EOF'
import sys
path, x, y, w, h = sys.argv[1], *map(int, sys.argv[2:6])
d = open(path, 'rb').read()
e = d.index(b'\n')
tags = dict((t[:1], t[1:]) for t in d[:e].decode().split()[1:])
W, H = int(tags['W']), int(tags['H'])
cw, ch = (W + 1) // 2, (H + 1) // 2
fs = W * H + 2 * cw * ch
off, n, last = e + 1, 0, None
while off < len(d):
    nl = d.index(b'\n', off)
    last = nl + 1
    off = nl + 1 + fs
    n += 1
def mean(base, stride, x0, y0, ww, hh):
    s = 0
    for j in range(y0, y0 + hh):
        row = d[base + j * stride + x0: base + j * stride + x0 + ww]
        s += sum(row)
    return s / (ww * hh)
Y = mean(last, W, x, y, w, h)
U = mean(last + W * H, cw, x // 2, y // 2, w // 2, h // 2)
V = mean(last + W * H + cw * ch, cw, x // 2, y // 2, w // 2, h // 2)
print(n, round(Y), round(U), round(V))
EOF
}

near() { # near A B TOL
    [ $(( $1 > $2 ? $1 - $2 : $2 - $1 )) -le "$3" ]
}

# 1. YUV4MPEG2 through pipes: stdin -> backdrop -> stdout, with --color.
ffmpeg -v error -i "$video" -frames:v 20 -f yuv4mpegpipe -pix_fmt yuv420p - 2>"$tmp/ff.err" |
    "$bin" -i - -o - --color '#00ff00' >"$tmp/pipe.y4m" 2>"$tmp/pipe.err"
rc=$?
check "y4m stdin -> stdout exits 0 (rc $rc: $(head -c 300 "$tmp/pipe.err"))" [ "$rc" -eq 0 ]
read -r n y u v < <(y4m_stats "$tmp/pipe.y4m" 8 8 64 64)
check "20 frames through the pipe (got $n)" [ "${n:-0}" -eq 20 ]
# BT.601 limited-range green (libyuv's integer form): Y 144, U 53, V 34
check "background is green in the last frame (Y $y U $u V $v)" near "${y:-0}" 144 2
check "green chroma (U $u V $v)" eval 'near ${u:-0} 53 2 && near ${v:-0} 34 2'
read -r n y u v < <(y4m_stats "$tmp/pipe.y4m" 520 300 80 60)
check "the person's white coat is kept (Y $y U $u)" eval '[ ${y:-0} -gt 150 ] && near ${u:-0} 128 20'

# 2. Not a terminal: no status line on stdout; one start-up line on stderr.
"$bin" -i "$video" -o "$tmp/out.mp4" -n 30 >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
check "mp4 output exits 0 (rc $rc: $(head -c 300 "$tmp/stderr"))" [ "$rc" -eq 0 ]
check "quiet on stdout when it is not a terminal" [ ! -s "$tmp/stdout" ]
check "one start-up line on stderr ($(wc -l <"$tmp/stderr"))" [ "$(wc -l <"$tmp/stderr")" -eq 1 ]
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,width,height -of csv=p=0 "$tmp/out.mp4")
check "mp4 has 30 frames at 960x540 ($frames)" [ "$frames" = "960,540,30" ]

# 3. A still image as the input, stretched to N frames.
"$bin" -i "$still" -o "$tmp/still.y4m" -n 5 -q --color '#0000ff' 2>"$tmp/err"
read -r n y u v < <(y4m_stats "$tmp/still.y4m" 0 0 16 16)
check "still image input gives 5 frames (got $n: $(head -c 200 "$tmp/err"))" [ "${n:-0}" -eq 5 ]

# 4. The config file: the same table as the options; the command line wins.
cat >"$tmp/bd.conf" <<'EOF'
# backdrop settings
color = "#ff0000"
frames = 4
quiet
EOF
"$bin" --config "$tmp/bd.conf" -i "$video" -o "$tmp/conf.y4m" 2>"$tmp/err"
read -r n y u v < <(y4m_stats "$tmp/conf.y4m" 8 8 64 64)
# red: Y 82, V 239 (U 90)
check "config file sets colour and frames (n $n Y $y V $v: $(head -c 200 "$tmp/err"))" eval '[ ${n:-0} -eq 4 ] && near ${y:-0} 82 2 && near ${v:-0} 239 2'
"$bin" --config "$tmp/bd.conf" -n 2 -i "$video" -o "$tmp/conf2.y4m" 2>/dev/null
read -r n _ < <(y4m_stats "$tmp/conf2.y4m" 8 8 8 8)
check "the command line overrides the config file (n $n)" [ "${n:-0}" -eq 2 ]
# --background on the command line replaces the file's colour (no "choose one")
"$bin" --config "$tmp/bd.conf" -B "$still" -i "$video" -o "$tmp/conf3.y4m" 2>"$tmp/err"
rc=$?
read -r n y u v < <(y4m_stats "$tmp/conf3.y4m" 8 8 64 64)
check "--background on the command line replaces the file's colour (rc $rc, n $n, not red: Y $y V $v; $(head -c 200 "$tmp/err"))" \
    eval '[ $rc -eq 0 ] && [ ${n:-0} -eq 4 ] && ! { near ${y:-0} 82 4 && near ${v:-0} 239 4; }'
# --no-FLAG switches off a flag the file sets
printf 'mirror\n' >"$tmp/mirror.conf"
"$bin" --config "$tmp/mirror.conf" --no-mirror -n 2 -i "$video" -o "$tmp/nomirror.y4m" -q 2>/dev/null
"$bin" --config /dev/null -n 2 -i "$video" -o "$tmp/plain.y4m" -q 2>/dev/null
"$bin" --config "$tmp/mirror.conf" -n 2 -i "$video" -o "$tmp/mirror.y4m" -q 2>/dev/null
check "--no-mirror undoes the file's mirror (same bytes as no mirror, not as mirrored)" \
    eval 'cmp -s "$tmp/nomirror.y4m" "$tmp/plain.y4m" && ! cmp -s "$tmp/nomirror.y4m" "$tmp/mirror.y4m"'
# --effect none and --enabled off (the state SIGUSR1 toggles) show the camera as it is
"$bin" --config /dev/null -n 2 -i "$video" -o "$tmp/none.y4m" -q --effect none 2>/dev/null
printf 'enabled = off\n' >"$tmp/off.conf"
"$bin" --config "$tmp/off.conf" -n 2 -i "$video" -o "$tmp/off.y4m" -q 2>/dev/null
check "--effect none and enabled = off pass the camera through (the same bytes, not the blurred ones)" \
    eval 'cmp -s "$tmp/none.y4m" "$tmp/off.y4m" && ! cmp -s "$tmp/none.y4m" "$tmp/plain.y4m"'
printf 'colour = blue\n' >"$tmp/bad.conf"
"$bin" --config "$tmp/bad.conf" -i "$video" -o null 2>"$tmp/err"
rc=$?
check "unknown config setting: exit 2 naming file:line ($(cat "$tmp/err"))" eval '[ $rc -eq 2 ] && grep -q "bad.conf:1" "$tmp/err"'
# a bad value in the file: one line naming the file, the line and the setting
# (not "--blur", which would send the user to the command line)
for bad in 'blur = 500|not a whole number' 'fit = round|not one of' 'size = 640by480|not WxH' \
           'color = "#12345"|not .#RRGGBB.'; do
    printf '# line 1\n%s\n' "${bad%%|*}" >"$tmp/badv.conf"
    "$bin" --config "$tmp/badv.conf" -i "$video" -o null 2>"$tmp/err"
    rc=$?
    key=${bad%% *}
    check "config value '${bad%%|*}': exit 2, one line 'badv.conf:2: $key ...' ($(cat "$tmp/err"))" \
        eval '[ $rc -eq 2 ] && [ $(wc -l <"$tmp/err") -eq 1 ] && grep -q "badv.conf:2: $key .*${bad#*|}" "$tmp/err" && ! grep -q -- "--$key" "$tmp/err"'
done
"$bin" -s 640by480 -i "$video" -o null 2>"$tmp/err"
rc=$?
check "bad --size on the command line names --size ($(cat "$tmp/err"))" eval '[ $rc -eq 2 ] && grep -q -- "--size .640by480. is not WxH" "$tmp/err"'
XDG_CONFIG_HOME=$tmp/xdg "$bin" -i "$video" -o "$tmp/xdg.y4m" -n 3 -q 2>/dev/null
mkdir -p "$tmp/xdg/backdrop" && printf 'frames = 2\n' >"$tmp/xdg/backdrop/backdrop.conf"
XDG_CONFIG_HOME=$tmp/xdg "$bin" -i "$video" -o "$tmp/xdg.y4m" -q 2>/dev/null
read -r n _ < <(y4m_stats "$tmp/xdg.y4m" 8 8 8 8)
check "the default config file is read (n $n)" [ "${n:-0}" -eq 2 ]

# 5. Signals in a live run: SIGUSR1 toggles, SIGHUP reloads, SIGTERM stops within 1 s.
"$bin" -i "$video" --loop --pace live -o "$tmp/live.y4m" -B "$still" -q 2>"$tmp/live.err" &
pid=$!
sleep 1.5
kill -USR1 $pid; sleep 0.5; kill -USR1 $pid; kill -HUP $pid; sleep 0.5
t0=$(date +%s%N)
kill -TERM $pid
wait $pid
rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "SIGTERM: exit 0 (rc $rc: $(head -c 200 "$tmp/live.err"))" [ "$rc" -eq 0 ]
check "SIGTERM: exit within 1 s (${ms} ms)" [ "$ms" -lt 1000 ]
read -r n _ < <(y4m_stats "$tmp/live.y4m" 8 8 8 8)
check "live file playback paced at ~30 fps (frames $n in ~2.5 s)" eval '[ ${n:-0} -ge 50 ] && [ ${n:-0} -le 90 ]'

# 5b. SIGHUP reads the background off the frame thread (issue 15): the
# file replaced on disk shows within a few frames; a file that blocks (a
# FIFO with no writer), is corrupt or is gone keeps the old background with
# one message each, and the frames never stop; SIGUSR1 still toggles;
# every frame fed comes out.
ffmpeg -v error -f lavfi -i color=red:s=64x64 -frames:v 1 -y "$tmp/red.png"
ffmpeg -v error -f lavfi -i color=blue:s=64x64 -frames:v 1 -y "$tmp/blue.png"
cp "$tmp/red.png" "$tmp/bg.png"
hup_frames=240 hw=480 hh=270
fsz=$((6 + hw * hh * 3 / 2))
frames_now() { # whole frames in the output so far (backdrop write()s each)
    local sz; sz=$(stat -c %s "$tmp/hup.y4m" 2>/dev/null || echo 0)
    echo $(( sz > 80 ? (sz - 80 + 40) / fsz : 0 ))
}
ffmpeg -v error -i "$video" -frames:v $hup_frames -vf scale=$hw:$hh -f yuv4mpegpipe -pix_fmt yuv420p - 2>/dev/null |
    "$bin" -i - --pace live -o "$tmp/hup.y4m" -B "$tmp/bg.png" -q 2>"$tmp/hup.err" &
pid=$!
(sleep 60; kill -KILL $pid) 2>/dev/null & watchdog=$!   # a hung run fails, not hangs
for _ in $(seq 200); do [ "$(frames_now)" -ge 20 ] && break; sleep 0.1; done
cp "$tmp/blue.png" "$tmp/blue.new" && mv "$tmp/blue.new" "$tmp/bg.png"
n_blue=$(frames_now); kill -HUP $pid; sleep 0.7
rm -f "$tmp/bg.png"; mkfifo "$tmp/bg.png"
n_fifo0=$(frames_now); kill -HUP $pid; sleep 1; n_fifo1=$(frames_now)
# the blocked read sees an empty file: writers open and close it until the
# read has failed (FFmpeg opens it, then the image reader that says why)
for _ in $(seq 20); do
    grep -q "keeping the old background" "$tmp/hup.err" && break
    timeout 0.5 bash -c ': >"$1"' _ "$tmp/bg.png"
done
sleep 0.3; rm -f "$tmp/bg.png"
head -c 60 "$tmp/blue.png" >"$tmp/bg.png"; kill -HUP $pid; sleep 0.4
rm -f "$tmp/bg.png"; kill -HUP $pid; sleep 0.4
n_off=$(frames_now); kill -USR1 $pid; sleep 0.8
n_on=$(frames_now); kill -USR1 $pid
wait $pid
rc=$?
kill $watchdog 2>/dev/null
check "SIGHUP run: exit 0 at the end of its input (rc $rc)" [ "$rc" -eq 0 ]
check "SIGHUP: frames flow while the read blocks in a FIFO's open ($n_fifo0 -> $n_fifo1 in 1 s)" \
    [ $((n_fifo1 - n_fifo0)) -ge 15 ]
# one letter a frame: the top-left box is r(ed), b(lue) or o(ther)
seq_=$(python3 - "$tmp/hup.y4m" <<'EOF'
import sys
d = open(sys.argv[1], 'rb').read()
e = d.index(b'\n')
tags = dict((t[:1], t[1:]) for t in d[:e].decode().split()[1:])
W, H = int(tags['W']), int(tags['H'])
cw, ch = (W + 1) // 2, (H + 1) // 2
off, out = e + 1, []
while off < len(d):
    b = d.index(b'\n', off) + 1
    def mean(base, stride):
        return sum(sum(d[base + j * stride: base + j * stride + 4]) for j in range(4)) / 16
    U, V = mean(b + W * H + 2 * cw + 2, cw), mean(b + W * H + cw * ch + 2 * cw + 2, cw)
    out.append('r' if V > 200 and U < 128 else 'b' if U > 200 and V < 160 else 'o')
    off = b + W * H + 2 * cw * ch
print(''.join(out))
EOF
)
n_out=${#seq_}
check "SIGHUP run: every frame fed comes out ($n_out of $hup_frames)" [ "$n_out" -eq "$hup_frames" ]
first_b=$(( $(expr index "$seq_" b) - 1 ))
check "SIGHUP: the replaced file shows within 8 frames (sent at frame $n_blue, blue from $first_b)" \
    eval '[ $first_b -ge $n_blue ] && [ $((first_b - n_blue)) -le 8 ]'
check "SIGHUP: red until then (frames 10..$first_b: ${seq_:10:$((first_b > 10 ? first_b - 10 : 0))})" \
    eval '[ $first_b -gt 10 ] && [[ "${seq_:10:$((first_b - 10))}" =~ ^r+$ ]]'
check "SIGHUP with the file blocked, corrupt, then gone: blue stays (frames $first_b..$n_off: ${seq_:$first_b:$((n_off > first_b ? n_off - first_b : 0))})" \
    eval '[ $n_off -gt $first_b ] && [[ "${seq_:$first_b:$((n_off - first_b))}" =~ ^b+$ ]]'
check "SIGUSR1 turns the effect off and back on (frames $n_off..: ${seq_:$n_off:$((n_on - n_off + 12))})" \
    eval '[[ "${seq_:$((n_off + 8)):$((n_on - n_off - 8))}" =~ ^o+$ ]] && [[ "${seq_:$((n_on + 8))}" =~ ^b+$ ]]'
check "SIGHUP failures: one message each, naming the file ($(cat "$tmp/hup.err"))" \
    eval '[ $(wc -l <"$tmp/hup.err") -eq 3 ] && [ $(grep -c "keeping the old background: background .$tmp/bg.png.: " "$tmp/hup.err") -eq 3 ]'
# During set-up (the input a FIFO nobody writes: its open waits) SIGHUP
# and SIGUSR1 are ignored and SIGTERM ends the process at once
mkfifo "$tmp/setup.y4m"
"$bin" -i "$tmp/setup.y4m" -o null -q 2>"$tmp/setup.err" &
pid=$!
(sleep 20; kill -KILL $pid) 2>/dev/null & watchdog=$!
sleep 1.5; kill -HUP $pid; kill -USR1 $pid; sleep 0.5
kill -0 $pid 2>/dev/null; alive=$?
t0=$(date +%s%N); kill -TERM $pid; wait $pid; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill $watchdog 2>/dev/null
check "set-up: SIGHUP and SIGUSR1 ignored, SIGTERM ends it at once (alive $alive, rc $rc, $ms ms: $(head -c 200 "$tmp/setup.err"))" \
    eval '[ $alive -eq 0 ] && [ $rc -eq 143 ] && [ $ms -lt 1000 ]'
# SIGTERM while a SIGHUP's read is blocked for good: the run still ends
cp "$tmp/red.png" "$tmp/bg2.png"
"$bin" -i "$video" --loop --pace live -o null -B "$tmp/bg2.png" -q 2>"$tmp/hup2.err" &
pid=$!
(sleep 20; kill -KILL $pid) 2>/dev/null & watchdog=$!
sleep 2.5; rm -f "$tmp/bg2.png"; mkfifo "$tmp/bg2.png"; kill -HUP $pid; sleep 0.3
t0=$(date +%s%N); kill -TERM $pid; wait $pid; rc=$?
kill $watchdog 2>/dev/null
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "SIGTERM with a SIGHUP read blocked: exit 0 within 2.5 s, one line (rc $rc, $ms ms: $(cat "$tmp/hup2.err"))" \
    eval '[ $rc -eq 0 ] && [ $ms -lt 2500 ] && [ $(wc -l <"$tmp/hup2.err") -eq 1 ] && grep -q "still being read" "$tmp/hup2.err"'

# 6. Usage errors: exit 2 with one line.
expect_usage() {
    local name=$1; shift
    "$bin" "$@" >/dev/null 2>"$tmp/err"
    local rc=$?
    check "$name: exit 2, one line ($(head -c 200 "$tmp/err"))" eval "[ $rc -eq 2 ] && [ \$(wc -l <'$tmp/err') -eq 1 ]"
}
expect_usage "bad --size" -i "$video" --size 12by34
expect_usage "bad --color" -i "$video" --color green
expect_usage "--color with a sign (found by fuzz_options)" -i "$video" --color -0ff00
expect_usage "--color with --background" -i "$video" --color '#000000' -B "$still"
expect_usage "unknown option" --frobnicate
expect_usage "bad --fit" --fit squash
expect_usage "--fps out of range" --fps 0
expect_usage "unknown --effect" --effect sparkle
expect_usage "--effect color without a colour" -i "$video" --effect color

# 7. Run-time errors: exit 1 with one line naming the thing.
expect_error() {
    local name=$1 needle=$2; shift 2
    "$bin" "$@" >/dev/null 2>"$tmp/err"
    local rc=$?
    check "$name: exit 1 naming '$needle' ($(head -c 200 "$tmp/err"))" eval "[ $rc -eq 1 ] && [ \$(wc -l <'$tmp/err') -eq 1 ] && grep -qF -- '$needle' '$tmp/err'"
}
expect_error "missing input file" "$tmp/none.mp4" -i "$tmp/none.mp4" -o null
head -c 20000 /dev/urandom >"$tmp/bad.mp4"
expect_error "corrupt input file" "$tmp/bad.mp4" -i "$tmp/bad.mp4" -o null
expect_error "unwritable output" "$tmp/no/dir/x.mp4" -i "$video" -o "$tmp/no/dir/x.mp4"
expect_error "missing background" "$tmp/none.jpg" -i "$video" -o null -B "$tmp/none.jpg"
expect_error "unknown model" "nosuch" -i "$video" -o null -m nosuch
if [ -z "$(ls /dev/video* 2>/dev/null)" ]; then
    expect_error "no loopback device" "modprobe v4l2loopback" -i "$video"
    expect_error "no camera" "no camera" -o null
fi
# 8. Bad files are rejected before any input or device is opened: the input
# is a FIFO whose writer side (opened with a timeout) would be let through
# the moment backdrop opened it for reading.
mkfifo "$tmp/in.y4m"
head -c 5000 /dev/urandom >"$tmp/corrupt.tflite"
shared_model=../shared/data/models/segm_lite_v681.tflite
[ -f "$shared_model" ] || { echo "camera-cli: $shared_model is missing"; echo "$passed passed, $((failed + 1)) failed, 0 skipped"; exit 1; }
head -c 200000 "$shared_model" >"$tmp/truncated.tflite"
head -c 3000 /dev/urandom >"$tmp/noise.jpg"
expect_early() {
    local name=$1 needle=$2; shift 2
    (timeout 4 bash -c 'exec 3>"$1"' _ "$tmp/in.y4m"; echo $? >"$tmp/opened") &
    local opener=$!
    timeout 10 "$bin" -i "$tmp/in.y4m" -o "$tmp/early.mp4" "$@" >/dev/null 2>"$tmp/err"
    local rc=$?
    wait "$opener"
    local opened; opened=$(cat "$tmp/opened")
    check "$name: exit 1, one line naming '$needle', input never opened (rc $rc, opener $opened: $(head -c 200 "$tmp/err"))" \
        eval "[ $rc -eq 1 ] && [ \$(wc -l <'$tmp/err') -eq 1 ] && grep -qF -- '$needle' '$tmp/err' && [ '$opened' = 124 ] && [ ! -e '$tmp/early.mp4' ]"
}
expect_early "corrupt model" "$tmp/corrupt.tflite" -m "$tmp/corrupt.tflite"
expect_early "truncated model" "$tmp/truncated.tflite" -m "$tmp/truncated.tflite"
expect_early "missing model file" "$tmp/none.tflite" -m "$tmp/none.tflite"
expect_early "background that is not an image" "$tmp/noise.jpg" -B "$tmp/noise.jpg"
expect_early "missing background" "$tmp/none.png" -B "$tmp/none.png"
expect_early "background that is a directory" "$tmp" -B "$tmp"
# a PNG that says it is 100000 x 100000
base64 -d >"$tmp/huge.png" <<'EOF'
iVBORw0KGgoAAAANSUhEUgABhqAAAYagCAIAAAAnMJyfAAAADElEQVR4nGNgoAwAAABAAAG3NHzvAAAAAElFTkSuQmCC
EOF
expect_early "a huge background image (its size named)" "100000x100000 is larger" -B "$tmp/huge.png"
# a model with an op backdrop does not run, written by the unit-test binary
helper=$(dirname "$bin")/tests/test_hostile
if [ -x "$helper" ] && "$helper" --write-unsupported "$tmp/unsupported.tflite" >/dev/null 2>&1; then
    expect_early "a model with an unsupported op" "SQUARED_DIFFERENCE" -m "$tmp/unsupported.tflite"
else
    fail "a model with an unsupported op: cannot write it with '$helper --write-unsupported'"
fi

# Stills take the camera's model-run choices: `mask` and `cutout` with
# --zoom and --mirror-average, and a wide model's second look by the general
# model (so `--model landscape` differs from it with `--zoom off`).
still_mask() { # NAME ARGS...: the mask of $still into $tmp/NAME.png
    local name=$1; shift
    "$bin" mask "$still" -o "$tmp/$name.png" "$@" >/dev/null 2>"$tmp/err"
    local rc=$?
    check "mask $* exits 0, quiet (rc $rc: $(head -c 200 "$tmp/err"))" eval "[ $rc -eq 0 ] && [ ! -s '$tmp/err' ] && [ -s '$tmp/$name.png' ]"
}
still_mask m_default
still_mask m_nozoom --zoom off
still_mask m_nomirror --mirror-average off
still_mask m_land -m landscape
still_mask m_land_nozoom -m landscape --zoom off
differ() { ! cmp -s "$tmp/$1.png" "$tmp/$2.png"; }
check "mask: --zoom off changes the mask" differ m_default m_nozoom
check "mask: --mirror-average off changes the mask" differ m_default m_nomirror
check "mask -m landscape: the general model's second look changes the mask" differ m_land m_land_nozoom
"$bin" cutout "$still" -o "$tmp/c.png" --zoom off --mirror-average off >/dev/null 2>"$tmp/err"
rc=$?
check "cutout --zoom off --mirror-average off exits 0 (rc $rc: $(head -c 200 "$tmp/err"))" [ "$rc" -eq 0 ]
"$bin" mask "$still" -o "$tmp/x.png" --zoom maybe >/dev/null 2>"$tmp/err"
rc=$?
check "mask --zoom maybe: exit 2, one line naming --zoom ($(head -c 200 "$tmp/err"))" eval "[ $rc -eq 2 ] && [ \$(wc -l <'$tmp/err') -eq 1 ] && grep -qF -- zoom '$tmp/err'"

# The still commands' settings are the library's table (BD_OPTION_STILL):
# its mask options reach `mask`, its help lists them, and --class is the
# camera's too.
still_mask m_feather --feather 16
check "mask --feather 16 changes the mask" differ m_default m_feather
"$bin" mask --help >"$tmp/help" 2>&1
check "mask --help lists the table's still options (--class, --mask-low, --raw-mask)" \
    eval "grep -q -- '--class' '$tmp/help' && grep -q -- '--mask-low' '$tmp/help' && grep -q -- '--raw-mask' '$tmp/help'"
check "mask --help does not list camera-only options (--blur, --background)" \
    eval "! grep -qE -- '--(blur|background) ' '$tmp/help'"
"$bin" mask "$still" -o "$tmp/x.png" --blur 4 >/dev/null 2>"$tmp/err"
rc=$?
check "mask --blur (a camera option): exit 2, unknown option ($(head -c 200 "$tmp/err"))" eval "[ $rc -eq 2 ] && grep -q \"unknown option '--blur'\" '$tmp/err'"
"$bin" --config /dev/null -n 2 -i "$video" -o null -q --class nosuchclass 2>"$tmp/err"
rc=$?
check "camera --class nosuchclass: refused at start, naming it (rc $rc: $(head -c 200 "$tmp/err"))" \
    eval "[ $rc -ne 0 ] && [ \$(wc -l <'$tmp/err') -eq 1 ] && grep -q nosuchclass '$tmp/err'"
"$bin" --config /dev/null -n 2 -i "$video" -o null -q --class person 2>"$tmp/err"
rc=$?
check "camera --class person on the general model: runs (rc $rc: $(head -c 200 "$tmp/err"))" [ "$rc" -eq 0 ]

echo "$passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
