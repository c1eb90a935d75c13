#!/usr/bin/env python3
"""scripts/shape-check.py — the code's shape, checked by `make check`.

  1. No include cycle among the modules of one folder (pgdata/, lib/,
     supervisor/, probes/, cmd/): module A depends on module B when A.c or
     A.h includes B.h; a cycle means the layering is lost (issue: boot.c
     <-> clone.c, upstream.c).
  2. No production function over MAX_LINES lines, counted from the line
     with its name at column 0 to its closing brace at column 0.

  scripts/shape-check.py [ROOT]          check ROOT (default: the repository)
  scripts/shape-check.py --self-test     prove both checks catch what they
                                         must (test/fixtures/shape/)

Exits 1 listing every finding.
"""
import os
import re
import sys

MAX_LINES = 60
FOLDERS = ("cmd", "lib", "pgdata", "probes", "supervisor")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
FUNC_NAME = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\(")


def modules(folder):
    """{module: set of modules of the same folder it includes}."""
    deps = {}
    names = sorted(os.listdir(folder))
    mods = {os.path.splitext(n)[0] for n in names if n.endswith((".c", ".h"))}
    for n in names:
        if not n.endswith((".c", ".h")):
            continue
        me = os.path.splitext(n)[0]
        deps.setdefault(me, set())
        with open(os.path.join(folder, n), encoding="utf-8", errors="replace") as f:
            for line in f:
                m = INCLUDE.match(line)
                if not m:
                    continue
                inc = m.group(1)
                base = os.path.basename(inc)
                # "boot.h" or "pgdata/boot.h" from within pgdata/
                if os.path.dirname(inc) not in ("", os.path.basename(folder)):
                    continue
                dep = os.path.splitext(base)[0]
                if dep != me and dep in mods:
                    deps[me].add(dep)
    return deps


def cycles(deps):
    """Every cycle, once each, as a list of modules."""
    found, seen = [], set()
    state = {}

    def visit(node, path):
        state[node] = 1
        path.append(node)
        for nxt in sorted(deps.get(node, ())):
            if state.get(nxt) == 1:
                cyc = path[path.index(nxt):]
                key = frozenset(cyc)
                if key not in seen:
                    seen.add(key)
                    found.append(cyc + [nxt])
            elif state.get(nxt) is None:
                visit(nxt, path)
        path.pop()
        state[node] = 2

    for node in sorted(deps):
        if state.get(node) is None:
            visit(node, [])
    return found


def long_functions(path):
    """(name, first line, length) of every function over MAX_LINES."""
    out = []
    name, start, inside = None, 0, False
    with open(path, encoding="utf-8", errors="replace") as f:
        for no, line in enumerate(f, 1):
            m = FUNC_NAME.match(line)
            if m and not inside:
                name, start = m.group(1), no
            elif line.startswith("{") and name is not None:
                inside = True
            elif line.startswith("}") and inside:
                length = no - start + 1
                if length > MAX_LINES:
                    out.append((name, start, length))
                name, inside = None, False
            elif not inside and line.strip().endswith(";"):
                name = None	# a prototype, not a definition
    return out


def check(root):
    problems = []
    for folder in FOLDERS:
        d = os.path.join(root, folder)
        if not os.path.isdir(d):
            continue
        for cyc in cycles(modules(d)):
            problems.append("%s/: include cycle %s" % (folder, " -> ".join(cyc)))
        for n in sorted(os.listdir(d)):
            if n.endswith(".c"):
                p = os.path.join(d, n)
                for name, start, length in long_functions(p):
                    problems.append("%s/%s:%d: %s() is %d lines (at most %d)"
                                    % (folder, n, start, name, length, MAX_LINES))
    return problems


def self_test(root):
    fixture = os.path.join(root, "test", "fixtures", "shape")
    problems = check(fixture)
    want = ["include cycle", "too_long() is 61 lines"]
    missing = [w for w in want if not any(w in p for p in problems)]
    wrong = [p for p in problems if "fine" in p]
    if missing or wrong:
        print("shape-check self-test failed: missing %s, wrong %s (found %s)"
              % (missing, wrong, problems))
        return 1
    return 0


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    if len(sys.argv) > 1 and sys.argv[1] == "--self-test":
        return self_test(root)
    if len(sys.argv) > 1:
        root = sys.argv[1]
    problems = check(root)
    for p in problems:
        print("shape: " + p)
    if problems:
        print("shape: %d problem%s" % (len(problems), "" if len(problems) == 1 else "s"))
        return 1
    print("shape: no include cycle, no function over %d lines" % MAX_LINES)
    return 0


if __name__ == "__main__":
    sys.exit(main())
