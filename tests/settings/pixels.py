#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# Pixel statistics of a PNG (the settings window's preview or screenshot),
# decoded with ffmpeg: for each region asked, "R G B SD" (the mean colour
# and the luma's standard deviation, a measure of detail).
# usage: pixels.py FILE.png REGION...   REGION: tl, tr, bl, br (a corner
# block an eighth of the width square) or all
import subprocess, sys

path = sys.argv[1]
w, h = (int(v) for v in subprocess.check_output(
    ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
     "-of", "csv=p=0", path], text=True).strip().split(","))
raw = subprocess.check_output(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo",
                               "-pix_fmt", "rgb24", "-"])
side = max(4, w // 8)
for reg in sys.argv[2:]:
    x0, y0, x1, y1 = {
        "tl": (0, 0, side, side), "tr": (w - side, 0, w, side),
        "bl": (0, h - side, side, h), "br": (w - side, h - side, w, h), "all": (0, 0, w, h),
    }[reg]
    s = [0, 0, 0]
    ys = []
    for y in range(y0, y1):
        row = raw[(y * w + x0) * 3:(y * w + x1) * 3]
        for i in range(0, len(row), 3):
            r, g, b = row[i], row[i + 1], row[i + 2]
            s[0] += r; s[1] += g; s[2] += b
            ys.append(0.299 * r + 0.587 * g + 0.114 * b)
    n = len(ys)
    m = sum(ys) / n
    sd = (sum((v - m) ** 2 for v in ys) / n) ** 0.5
    print("%.0f %.0f %.0f %.1f" % (s[0] / n, s[1] / n, s[2] / n, sd))
