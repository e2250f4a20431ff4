#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Mutation testing: does some test fail when the code is wrong?

    make mutate [BUILD=build-x NPM=build/npm] [MUTANTS=mask,composite] [MUTANT=grow]
    scripts/mutate.py --build DIR --npm DIR [--areas a,b] [--filter TEXT]
                      [--timeout SECONDS] [--skip-baseline]

Each line of tests/mutants/<area>.txt is one mutant (TAB-separated):
    file  suites  exact text  replacement  what it breaks
(`\\n`, `\\t` and `\\\\` in the text and the replacement are a newline, a tab
and a backslash; # starts a comment). MUTANTS picks areas (file names
without .txt, or paths); MUTANT keeps the mutants whose file, text,
replacement or sentence contains it, or "area:line".

The working tree (tracked files plus uncommitted and untracked ones, as git
ls-files lists them; no build directory) is copied into BUILD/mutate/tree,
which has its own build directory (tree/build) and the real NPM directory's
models (absolute NPM, and tree/build/npm linking to it), and ../shared
beside it linking to the real ../shared. Only files that differ from the
last copy are rewritten, so make rebuilds only what changed.

Every suite named is first built and run unmutated (a failure there stops
everything). Then, per mutant: the text must occur exactly once, it is
replaced, make rebuilds (a build failure: INVALID), its suites run in order
under CI=true (a failure or a timeout: CAUGHT; all pass: SURVIVED), and
the file is rewritten as it was with a new mtime (so make rebuilds it
back). A suite test_X is BUILD/tests/test_X run from the tree root; any
other name is a make target run in the tree. Logs: BUILD/mutate/logs.
Exit status 0 only when every mutant was caught.
"""

import argparse
import glob
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time

KNOWN_TARGETS = {"hostile", "camera-cli", "golden", "pipewire-test", "soak-short", "e2e", "dbus-test", "install-test",
                 "package-test", "settings-test", "ondemand-test", "gst-test", "web-test", "obs-test",
                 "rvm-golden", "settings-vm-test"}


def say(msg):
    print(msg, flush=True)


def unescape(s):
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            if n in "nt\\":
                out.append({"n": "\n", "t": "\t", "\\": "\\"}[n])
                i += 2
                continue
        out.append(c)
        i += 1
    return "".join(out)


class Mutant:
    def __init__(self, area, lineno, file, suites, text, repl, what):
        self.area, self.lineno = area, lineno
        self.file, self.suites = file, suites
        self.text, self.repl, self.what = text, repl, what

    @property
    def where(self):
        return f"{self.area}:{self.lineno}"

    def matches(self, flt):
        if flt == self.where or flt == f"{self.area}.txt:{self.lineno}":
            return True
        return any(flt in s for s in (self.file, self.text, self.repl, self.what))


def parse_file(path, errors):
    area = os.path.splitext(os.path.basename(path))[0]
    mutants = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 5 or not all(x.strip() for x in fields):
                errors.append(f"{area}:{n}: needs 5 non-empty TAB-separated fields, has "
                              f"{len(fields)}")
                continue
            file, suites, text, repl, what = fields
            suites = [s.strip() for s in suites.split(",") if s.strip()]
            mutants.append(Mutant(area, n, file.strip(), suites, unescape(text),
                                  unescape(repl), what.strip()))
    return mutants


def mutant_files(repo, areas):
    if not areas:
        return sorted(glob.glob(os.path.join(repo, "tests/mutants/*.txt")))
    out = []
    for a in areas:
        if os.sep in a or a.endswith(".txt"):
            p = a if os.path.isabs(a) else os.path.join(repo, a)
        else:
            p = os.path.join(repo, "tests/mutants", a + ".txt")
        if not os.path.isfile(p):
            sys.exit(f"mutate: {p}: no such mutant file")
        out.append(p)
    return out


def sync_tree(repo, tree):
    """Copies git's view of the working tree into tree (through tar), writing
    only files whose bytes differ, with a new mtime; deletes the rest."""
    ls = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=repo,
                        check=True, capture_output=True).stdout.split(b"\0")
    names = []
    for n in ls:
        if not n:
            continue
        s = n.decode()
        top = s.split("/", 1)[0]
        if top.startswith("build") or top == "node_modules":
            continue
        if os.path.isfile(os.path.join(repo, s)) or os.path.islink(os.path.join(repo, s)):
            names.append(s)
    names = sorted(set(names))
    tar = subprocess.run(["tar", "-C", repo, "--null", "-T", "-", "-cf", "-"],
                         input=b"\0".join(n.encode() for n in names) + b"\0",
                         check=True, capture_output=True).stdout
    written = 0
    keep = set()
    with tarfile.open(fileobj=io.BytesIO(tar), mode="r:") as tf:
        for m in tf:
            dest = os.path.join(tree, m.name)
            keep.add(os.path.normpath(m.name))
            if m.issym():
                if os.path.islink(dest) and os.readlink(dest) == m.linkname:
                    continue
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                if os.path.lexists(dest):
                    os.remove(dest)
                os.symlink(m.linkname, dest)
                written += 1
                continue
            if not m.isfile():
                continue
            data = tf.extractfile(m).read()
            try:
                with open(dest, "rb") as f:
                    if f.read() == data and (os.stat(dest).st_mode & 0o777) == m.mode:
                        continue
            except OSError:
                pass
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            if os.path.lexists(dest) and not os.path.isfile(dest):
                os.remove(dest)
            with open(dest, "wb") as f:
                f.write(data)
            os.chmod(dest, m.mode)
            written += 1
    removed = 0
    for root, dirs, files in os.walk(tree):
        rel = os.path.relpath(root, tree)
        if rel == ".":
            dirs[:] = [d for d in dirs if d != "build"]
        for fn in files:
            r = os.path.normpath(os.path.join(rel, fn))
            if r not in keep:
                os.remove(os.path.join(root, fn))
                removed += 1
    return len(names), written, removed


class Runner:
    def __init__(self, args, repo):
        self.repo = repo
        self.top = os.path.abspath(os.path.join(repo, args.build, "mutate"))
        self.tree = os.path.join(self.top, "tree")
        self.logs = os.path.join(self.top, "logs")
        self.npm = os.path.abspath(os.path.join(repo, args.npm))
        self.tfjsref = os.path.abspath(os.path.join(repo, args.build, "tfjsref"))
        self.timeout = args.timeout
        self.jobs = args.jobs
        self.env = dict(os.environ, CI="true")
        # make's own variables from `make mutate` must not reach the tree's make
        for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "BUILD", "NPM",
                  "MUTANTS", "MUTANT"):
            self.env.pop(k, None)

    def prepare(self):
        os.makedirs(self.tree, exist_ok=True)
        os.makedirs(self.logs, exist_ok=True)
        shared = os.path.realpath(os.path.join(self.repo, "..", "shared"))
        link = os.path.join(self.top, "shared")
        if os.path.isdir(shared) and not os.path.lexists(link):
            os.symlink(shared, link)
        t = time.time()
        n, w, r = sync_tree(self.repo, self.tree)
        npm_link = os.path.join(self.tree, "build", "npm")
        os.makedirs(os.path.dirname(npm_link), exist_ok=True)
        if os.path.islink(npm_link) and os.readlink(npm_link) != self.npm:
            os.remove(npm_link)
        if not os.path.lexists(npm_link):
            os.symlink(self.npm, npm_link)
        say(f"mutate: scratch tree {self.tree}: {n} files, {w} written, {r} removed "
            f"({time.time() - t:.1f} s)")

    def make(self, targets, log):
        return self.run(self.make_cmd(targets), log, None)

    def make_cmd(self, targets):
        return ["make", "--no-print-directory", f"-j{self.jobs}", "BUILD=build",
                f"NPM={self.npm}", f"TFJSREF={self.tfjsref}"] + targets

    def run(self, cmd, log, timeout):
        with open(log, "ab") as f:
            f.write(("$ " + " ".join(cmd) + "\n").encode())
            f.flush()
            p = subprocess.Popen(cmd, cwd=self.tree, env=self.env, stdout=f,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 start_new_session=True)
            try:
                rc = p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                # the suite and everything it started (its own process group)
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
                f.write(f"\nmutate: timed out after {timeout} s\n".encode())
                return "timeout"
            except KeyboardInterrupt:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
                raise
        return rc

    def build_targets(self, suites):
        # the programs make targets run (so that a build failure is told
        # apart from a failing suite); unit tests need only their binary
        tests = [f"build/tests/{s}" for s in suites if s.startswith("test_")]
        return tests + (["all"] if len(tests) < len(suites) else [])

    def run_suite(self, suite, log):
        if suite.startswith("test_"):
            return self.run([f"build/tests/{suite}"], log, self.timeout)
        return self.run(self.make_cmd([suite]), log, self.timeout)


def first_fail(log):
    try:
        with open(log, errors="replace") as f:
            for line in f:
                if line.startswith("FAIL") or "error:" in line or "FAIL:" in line:
                    return line.strip()[:160]
    except OSError:
        pass
    return ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--npm", default=None)
    ap.add_argument("--areas", default="")
    ap.add_argument("--filter", default="")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--skip-baseline", action="store_true",
                    help="trust that the suites pass unmutated (quick checks only)")
    ap.add_argument("--check-texts", action="store_true",
                    help="only check that every mutant's text occurs once in its file "
                         "(run by make unit, so moved code cannot leave a mutant that "
                         "no longer applies)")
    args = ap.parse_args()
    repo = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
    if args.npm is None:
        args.npm = os.path.join(args.build, "npm")
    t0 = time.time()

    errors = []
    mutants = []
    for p in mutant_files(repo, [a for a in args.areas.split(",") if a]):
        mutants += parse_file(p, errors)
    if args.filter:
        mutants = [m for m in mutants if m.matches(args.filter)]
    for m in mutants:
        for s in m.suites:
            if not s.startswith("test_") and s not in KNOWN_TARGETS:
                errors.append(f"{m.where}: unknown suite {s}")
            if s.startswith("test_") and not os.path.isfile(os.path.join(repo, "tests", s + ".c")):
                errors.append(f"{m.where}: no tests/{s}.c")
    if errors:
        for e in errors:
            say(f"mutate: {e}")
        return 2
    if args.check_texts:
        for m in mutants:
            try:
                with open(os.path.join(repo, m.file), encoding="utf-8") as f:
                    n = f.read().count(m.text)
            except OSError:
                n = -1
            if n != 1:
                errors.append(f"{m.where} {m.file}: " +
                              ("no such file" if n < 0 else f"the text occurs {n} times "
                               "(must be once): the code moved or changed; update the line"))
        for e in errors:
            say(f"mutate: {e}")
        say(f"mutate: {len(mutants) - len(errors)} of {len(mutants)} mutants' texts found once")
        return 1 if errors else 0
    if not mutants:
        say("mutate: no mutants selected")
        return 0

    r = Runner(args, repo)
    r.prepare()
    suites = []
    for m in mutants:
        for s in m.suites:
            if s not in suites:
                suites.append(s)

    log = os.path.join(r.logs, "baseline.log")
    open(log, "w").close()
    t = time.time()
    if r.make(r.build_targets(suites), log) != 0:
        say(f"mutate: the unmutated tree does not build (see {log})")
        return 2
    say(f"mutate: unmutated build {time.time() - t:.0f} s")
    if not args.skip_baseline:
        for s in suites:
            t = time.time()
            slog = os.path.join(r.logs, f"baseline-{s}.log")
            open(slog, "w").close()
            rc = r.run_suite(s, slog)
            if rc != 0:
                why = "timed out" if rc == "timeout" else f"exit {rc}"
                say(f"mutate: suite {s} fails UNMUTATED ({why}; see {slog}): "
                    f"{first_fail(slog)}")
                return 2
            say(f"mutate: unmutated {s} passes ({time.time() - t:.0f} s)")

    counts = {"CAUGHT": 0, "SURVIVED": 0, "INVALID": 0}
    for i, m in enumerate(mutants, 1):
        t = time.time()
        path = os.path.join(r.tree, m.file)
        log = os.path.join(r.logs, f"{m.area}-{m.lineno}.log")
        open(log, "w").close()
        head = f"[{i}/{len(mutants)}] {m.where} {m.file}"
        try:
            with open(path, encoding="utf-8") as f:
                orig = f.read()
        except OSError:
            counts["INVALID"] += 1
            say(f"{head}: INVALID: no such file")
            continue
        n = orig.count(m.text)
        if n != 1:
            counts["INVALID"] += 1
            say(f"{head}: INVALID: the text occurs {n} times (must be once)")
            continue
        mode = os.stat(path).st_mode
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(orig.replace(m.text, m.repl, 1))
            rc = r.make(r.build_targets(m.suites), log)
            if rc != 0:
                result, detail = "INVALID", f"does not build: {first_fail(log)}"
            else:
                result, detail = "SURVIVED", "all of " + ",".join(m.suites) + " pass"
                for s in m.suites:
                    rc = r.run_suite(s, log)
                    if rc == "timeout":
                        result, detail = "CAUGHT", f"by {s} (timed out after {r.timeout:.0f} s)"
                        break
                    if rc != 0:
                        result, detail = "CAUGHT", f"by {s}: {first_fail(log)}"
                        break
        finally:
            with open(path, "w", encoding="utf-8") as f:
                f.write(orig)
            os.chmod(path, mode & 0o7777)
            now = time.time()
            os.utime(path, (now, now))
        counts[result] += 1
        say(f"{head}: {result} {detail} ({time.time() - t:.0f} s)  -- {m.what}")

    say(f"mutants: {counts['CAUGHT']} caught, {counts['SURVIVED']} survived, "
        f"{counts['INVALID']} invalid ({time.time() - t0:.0f} s)")
    return 0 if counts["SURVIVED"] == 0 and counts["INVALID"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
