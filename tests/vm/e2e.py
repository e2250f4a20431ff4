#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of tests/vm/e2e.sh (run inside the VM; standard library only).

  e2e.py stats FILE FMT WxH FRAME REGIONS
      mean Y, U, V of rectangles of one frame of a raw file of frames
      (FMT yuyv or i420; FRAME an index, negative from the end; REGIONS
      "name:x0,y0,x1,y1;..." in fractions of the frame). Prints one line
      "name Y U V" per region.
  e2e.py serve PORT DIR PAGE
      an HTTP server on 127.0.0.1:PORT for Chromium: GET /gum.html serves
      PAGE, POST /log appends a line to DIR/gum.log (each line, like the
      server's own, after the seconds since the server started), POST /result writes
      DIR/gum.json. Runs until killed.
  e2e.py gum FILE
      the result Chromium posted, as shell-friendly lines:
      "key value" for ok label width height frameRate fps frames tFirstFrame
      error, then "region NAME R G B" for the last sample.
"""
import http.server
import json
import os
import sys
import time


def regions_of(spec):
    out = []
    for part in spec.split(";"):
        if not part:
            continue
        name, coords = part.split(":")
        x0, y0, x1, y1 = (float(c) for c in coords.split(","))
        out.append((name, x0, y0, x1, y1))
    return out


def stats(path, fmt, size, frame, spec):
    w, h = (int(v) for v in size.lower().split("x"))
    fsize = w * h * 2 if fmt == "yuyv" else w * h * 3 // 2
    total = os.path.getsize(path)
    n = total // fsize
    if n == 0:
        sys.exit(f"{path}: {total} bytes, not one {fmt} {w}x{h} frame")
    k = int(frame)
    if k < 0:
        k += n
    if not 0 <= k < n:
        sys.exit(f"{path}: no frame {frame} ({n} frames)")
    with open(path, "rb") as f:
        f.seek(k * fsize)
        buf = f.read(fsize)
    for name, fx0, fy0, fx1, fy1 in regions_of(spec):
        x0, x1 = int(fx0 * w) & ~1, max(int(fx1 * w) & ~1, (int(fx0 * w) & ~1) + 2)
        y0, y1 = int(fy0 * h) & ~1, max(int(fy1 * h) & ~1, (int(fy0 * h) & ~1) + 2)
        sy = su = sv = ny = nc = 0
        for y in range(y0, y1):
            if fmt == "yuyv":
                row = buf[y * w * 2 + x0 * 2: y * w * 2 + x1 * 2]
                sy += sum(row[0::2])
                su += sum(row[1::4])
                sv += sum(row[3::4])
                ny += len(row) // 2
                nc += len(row) // 4
            else:
                sy += sum(buf[y * w + x0: y * w + x1])
                ny += x1 - x0
                if y % 2 == 0:
                    cw = w // 2
                    ub = w * h + (y // 2) * cw
                    vb = w * h + (w // 2) * (h // 2) + (y // 2) * cw
                    su += sum(buf[ub + x0 // 2: ub + x1 // 2])
                    sv += sum(buf[vb + x0 // 2: vb + x1 // 2])
                    nc += (x1 - x0) // 2
        print(f"{name} {round(sy / ny)} {round(su / nc)} {round(sv / nc)}")


def serve(port, outdir, page):
    start = time.monotonic()

    def note(line):  # gum.log: seconds since the server started, then the line
        with open(os.path.join(outdir, "gum.log"), "ab") as f:
            f.write(b"%6.2f " % (time.monotonic() - start) + line + b"\n")

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, code, body=b"", ctype="text/plain"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path.split("?")[0] == "/gum.html":
                note(b"GET /gum.html")
                with open(page, "rb") as f:
                    self.reply(200, f.read(), "text/html; charset=utf-8")
            else:
                self.reply(404, b"not found")

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/log":
                note(b"page " + body)
            elif self.path == "/result":
                tmp = os.path.join(outdir, "gum.json.tmp")
                with open(tmp, "wb") as f:
                    f.write(body)
                os.rename(tmp, os.path.join(outdir, "gum.json"))
            else:
                return self.reply(404, b"not found")
            self.reply(200, b"ok")

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), Handler)
    note(b"serving on 127.0.0.1:%d" % int(port))
    print(f"serving on 127.0.0.1:{port}", flush=True)
    srv.serve_forever()


def gum(path):
    with open(path) as f:
        r = json.load(f)
    for key in ("ok", "label", "width", "height", "frameRate", "fps", "frames", "tFirstFrame", "error"):
        v = r.get(key)
        if isinstance(v, bool):
            v = int(v)
        print(key, "" if v is None else str(v).replace("\n", " "))
    samples = r.get("samples") or []
    if samples:
        for name, rgb in samples[-1]["regions"].items():
            print("region", name, *rgb)
        # per region, the sample least like the green background (the
        # largest of R and B): a person moving in a looped clip may leave a
        # fixed region for a moment, which one late sample would take for
        # a lost mask
        for name in samples[-1]["regions"]:
            rgbs = [s["regions"][name] for s in samples if name in s["regions"]]
            print("seen", name, *max(rgbs, key=lambda c: max(c[0], c[2])))


def main(argv):
    if len(argv) == 7 and argv[1] == "stats":
        stats(*argv[2:])
    elif len(argv) == 5 and argv[1] == "serve":
        serve(*argv[2:])
    elif len(argv) == 3 and argv[1] == "gum":
        gum(argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
