#!/usr/bin/env python3
"""Generate ../SOURCES.md (counts are computed from the written files)."""
import os, re
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
C = os.path.dirname(HERE)
FILES = ["requests.dev", "requests.holdout", "labelled.dev", "labelled.holdout", "harmless.dev", "harmless.holdout"]
OPS = ["bug_fix", "feature", "change", "dependency_update", "performance", "refactor", "test",
       "document", "analyze", "review", "file_create", "file_delete", "file_rename"]


def read(name):
    return [l.rstrip("\n").split("\t") for l in open(f"{C}/{name}.tsv", encoding="utf-8")][1:]


def split_source(s):
    if s.startswith("git log"):
        return s.split(" (")[0], s[s.index("(") + 1:-1]
    m = re.match(r"^(.*):(\d+) \((.*)\)$", s)
    return m.group(1), m.group(3)


cand = Counter()
for l in list(open(f"{HERE}/all_entries.tsv", encoding="utf-8"))[1:]:
    p = l.rstrip("\n").split("\t")
    cand[p[3]] += 1

data = {f: read(f) for f in FILES}
per = defaultdict(Counter)
pkg = {}
for f, rows in data.items():
    for r in rows:
        path, label = split_source(r[-1])
        per[path][f] += 1
        pkg[path] = label
for path in cand:
    per.setdefault(path, Counter())

out = []
w = out.append
w("# Intake benchmark corpora — sources and conventions\n")
w("Real change descriptions (changelog entries and commit subjects) that nobody on this project wrote, taken from "
  "files shipped by third-party packages installed on this machine. Built by the scripts in `_build/` "
  "(`extract.py` → `pick.py` → `sample.py` → `build_final.py` → `make_sources.py`); hand-made inputs are `_build/exclude.txt`, "
  "`_build/labels.*.list`, `_build/labels.extra.tsv` and `_build/harmless.list`.\n")
w("## Files\n")
w("| file | lines (excluding header) | columns |\n|---|---|---|")
for f in FILES:
    cols = "text, expected, source" if f.startswith("labelled") else "text, source"
    w(f"| `{f}.tsv` | {len(data[f])} | {cols} |")
w("")
w("All files are UTF-8, tab-separated, one header line, no tabs or newlines inside fields. "
  "`source` is `<file path relative to its root>:<line number> (<package> <version>)`; for gzip-compressed Debian "
  "changelogs the line number refers to the decompressed text; for the two git commit subjects it is "
  "`git log <repo> (commit subject <hash>, <repo name>)`.\n")

w("## Source files\n")
w("Roots: `node_modules/…` is relative to `/work/main`; `~` is `/root`; other paths are absolute. "
  "“candidates” = cleaned, filtered, de-duplicated entries extracted from the file before selection.\n")
w("| source file | package version | candidates | req.dev | req.holdout | lab.dev | lab.holdout | harm.dev | harm.holdout |")
w("|---|---|---|---|---|---|---|---|---|")
for path in sorted(per, key=lambda p: (-sum(per[p].values()), p)):
    c = per[path]
    w(f"| `{path}` | {pkg.get(path, '—')} | {cand.get(path, 0)} | " +
      " | ".join(str(c[f]) for f in FILES) + " |")
w("")
w("Files with 0 candidates were scanned but contributed nothing after cleaning/de-duplication (empty changelogs, "
  "or duplicate copies of a package whose entries were already taken from the top-level copy).\n")
w("Per-file share: in every output file no single source file supplies more than 8% of the lines "
  "(checked by `pick.py` / `build_final.py`); the largest shares are listed below.\n")
for f in FILES:
    c = Counter(split_source(r[-1])[0] for r in data[f])
    p, n = c.most_common(1)[0]
    w(f"- `{f}.tsv`: max {n}/{len(data[f])} ({n/len(data[f]):.1%}) from `{p}`")
w("")
w(open(f"{HERE}/SOURCES.prose.md", encoding="utf-8").read())

w("## Counts per operation in the labelled files\n")
w("“primary” counts the first label only; “any” counts an operation if it appears as either label.\n")
w("| operation | dev primary | dev any | holdout primary | holdout any | total any |")
w("|---|---|---|---|---|---|")
stats = {}
for f in ("labelled.dev", "labelled.holdout"):
    prim = Counter(r[1].split("|")[0] for r in data[f])
    anyc = Counter(o for r in data[f] for o in r[1].split("|"))
    stats[f] = (prim, anyc)
for op in OPS:
    d, h = stats["labelled.dev"], stats["labelled.holdout"]
    w(f"| {op} | {d[0][op]} | {d[1][op]} | {h[0][op]} | {h[1][op]} | {d[1][op] + h[1][op]} |")
for f in ("labelled.dev", "labelled.holdout"):
    dbl = sum("|" in r[1] for r in data[f])
    w(f"\n`{f}.tsv`: {dbl} of {len(data[f])} lines ({dbl/len(data[f]):.0%}) carry a double label.")
w("")
open(f"{C}/SOURCES.md", "w", encoding="utf-8").write("\n".join(out) + "\n")
