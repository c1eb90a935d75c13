#!/usr/bin/env python3
"""A strict parser of the Prometheus text exposition format 0.0.4.

Usage: promparse.py FILE  -> prints "family{labels} value" per sample, exit 0;
exit 1 with a message on the first violation: metric or label name syntax,
label value escaping, HELP/TYPE once per family and before its samples,
the samples of a family contiguous, float values, duplicate series, a
missing final newline.
"""
import re
import sys

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*$')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*$')
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def die(n, msg):
    print(f"line {n}: {msg}", file=sys.stderr)
    sys.exit(1)


def parse_labels(s, n):
    labels, i = [], 0
    while i < len(s):
        eq = s.find('=', i)
        if eq < 0:
            die(n, f"label without '=': {s[i:]!r}")
        name = s[i:eq]
        if not LABEL.match(name) or name.startswith('__'):
            die(n, f"bad label name {name!r}")
        if eq + 1 >= len(s) or s[eq + 1] != '"':
            die(n, "label value not quoted")
        j, val = eq + 2, []
        while True:
            if j >= len(s):
                die(n, "unterminated label value")
            c = s[j]
            if c == '\\':
                if j + 1 >= len(s) or s[j + 1] not in '\\"n':
                    die(n, "bad escape in label value")
                val.append({'\\': '\\', '"': '"', 'n': '\n'}[s[j + 1]])
                j += 2
            elif c == '"':
                j += 1
                break
            elif c == '\n':
                die(n, "raw newline in label value")
            else:
                val.append(c)
                j += 1
        labels.append((name, ''.join(val)))
        if j < len(s):
            if s[j] != ',':
                die(n, f"expected ',' after a label, got {s[j]!r}")
            j += 1
        i = j
    names = [k for k, _ in labels]
    if len(names) != len(set(names)):
        die(n, "duplicate label name")
    return tuple(sorted(labels))


def main():
    data = open(sys.argv[1], encoding='utf-8').read()
    if not data.endswith('\n'):
        die(0, "no final newline")
    helped, typed, done, series = set(), {}, set(), set()
    current = None
    for n, line in enumerate(data.split('\n')[:-1], 1):
        if line == '':
            die(n, "empty line")
        if line.startswith('#'):
            parts = line.split(' ', 3)
            if len(parts) >= 3 and parts[1] in ('HELP', 'TYPE'):
                fam = parts[2]
                if not NAME.match(fam):
                    die(n, f"bad metric name {fam!r}")
                if fam in done or (current is not None and current != fam and fam in typed):
                    die(n, f"{parts[1]} for {fam} after its samples")
                if parts[1] == 'HELP':
                    if fam in helped:
                        die(n, f"second HELP for {fam}")
                    helped.add(fam)
                else:
                    if fam in typed:
                        die(n, f"second TYPE for {fam}")
                    if len(parts) != 4 or parts[3] not in TYPES:
                        die(n, f"bad TYPE line {line!r}")
                    typed[fam] = parts[3]
                if current is not None and current != fam:
                    done.add(current)
                current = fam
            continue
        m = re.match(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$', line)
        if not m:
            die(n, f"bad sample line {line!r}")
        name, labels, value = m.group(1), parse_labels(m.group(3) or '', n), m.group(4)
        fam = name
        for suffix in ('_bucket', '_sum', '_count'):
            if name.endswith(suffix) and name[:-len(suffix)] in typed:
                fam = name[:-len(suffix)]
        if fam in done:
            die(n, f"samples of {fam} are not contiguous")
        if current is not None and current != fam:
            done.add(current)
        current = fam
        try:
            float(value)
        except ValueError:
            if value not in ('NaN', '+Inf', '-Inf'):
                die(n, f"bad value {value!r}")
        key = (name, labels)
        if key in series:
            die(n, f"duplicate series {name}{dict(labels)}")
        series.add(key)
        lab = ','.join(f'{k}="{v}"' for k, v in labels)
        print(f"{name}{{{lab}}} {value}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
