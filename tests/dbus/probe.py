#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reads YUV4MPEG2 (4:2:0) on stdin and appends one line per frame to FILE:
    n  Y U V (mean of the top-left background block)  left right (mean Y of the
    frame's left and right thirds)  detail (mean |dY| between neighbours over
    the shelves behind the person, which the blur flattens)
so tests/dbus/run.sh can tell, frame by frame, what a live change did.
Flushed per frame; stops at the end of the stream."""
import sys

out = open(sys.argv[1], "w")
inp = sys.stdin.buffer
header = inp.readline().split()
w = h = 0
for t in header[1:]:
    if t[:1] == b"W":
        w = int(t[1:])
    elif t[:1] == b"H":
        h = int(t[1:])
if not w or not h:
    sys.exit("probe: no y4m header")
cw, ch = (w + 1) // 2, (h + 1) // 2
size = w * h + 2 * cw * ch


def block(plane, stride, x0, y0, x1, y1, step=1):
    s = n = 0
    for y in range(y0, y1, step):
        row = plane[y * stride + x0:y * stride + x1:step]
        s += sum(row)
        n += len(row)
    return s / n


n = 0
while True:
    line = inp.readline()
    if not line.startswith(b"FRAME"):
        break
    buf = inp.read(size)
    if len(buf) < size:
        break
    Y = buf[:w * h]
    U = buf[w * h:w * h + cw * ch]
    V = buf[w * h + cw * ch:]
    bx, by, bs = w // 60, h // 34, w // 15        # about 16,16 .. 80,80 at 960x540
    cy = block(Y, w, bx, by, bx + bs, by + bs)
    cu = block(U, cw, bx // 2, by // 2, (bx + bs) // 2, (by + bs) // 2)
    cv = block(V, cw, bx // 2, by // 2, (bx + bs) // 2, (by + bs) // 2)
    left = block(Y, w, 0, 0, w // 3, h, 8)
    right = block(Y, w, w - w // 3, 0, w, h, 8)
    # the shelves between the monitor and the person: x 170..330, y 220..330 at 960x540
    x0, x1, y0, y1 = w * 170 // 960, w * 330 // 960, h * 220 // 540, h * 330 // 540
    d = cnt = 0
    for y in range(y0, y1, 2):
        row = Y[y * w + x0:y * w + x1]
        d += sum(abs(a - b) for a, b in zip(row, row[1:]))
        cnt += len(row) - 1
    n += 1
    out.write("%d %.1f %.1f %.1f %.1f %.1f %.2f\n" % (n, cy, cu, cv, left, right, d / cnt))
    out.flush()
