#!/usr/bin/env python3
"""Write labelled.{dev,holdout}.tsv and harmless.{dev,holdout}.tsv and check the constraints."""
import hashlib, os, sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
C = os.path.dirname(HERE)
OPS = ["bug_fix", "feature", "change", "dependency_update", "performance", "refactor", "test",
       "document", "analyze", "review", "file_create", "file_delete", "file_rename"]


def split_of(t):
    return "holdout" if hashlib.sha256(t.encode("utf-8")).hexdigest()[0] in "01234567" else "dev"


def path_of(source):
    return source.rsplit(" (", 1)[0].rsplit(":", 1)[0] if not source.startswith("git log") else source


def read_tsv(p):
    return [l.rstrip("\n").split("\t") for l in open(p, encoding="utf-8")][1:]


req = {}
for sp in ("dev", "holdout"):
    for t, s in read_tsv(f"{C}/requests.{sp}.tsv"):
        req[t] = (s, sp)

# ---------------------------------------------------------------- labelled
labels = []
for sp in ("dev", "holdout"):
    texts = [l.rstrip("\n").split("\t", 1)[1] for l in open(f"{HERE}/sample.{sp}.txt")]
    labs = [l.strip() for l in open(f"{HERE}/labels.{sp}.list")]
    assert len(texts) == len(labs), sp
    labels += list(zip(texts, labs))
labels += [tuple(l.rstrip("\n").split("\t")) for l in open(f"{HERE}/labels.extra.tsv") if l.strip()]
seen = set()
out = defaultdict(list)
for t, lab in labels:
    assert t in req, ("not in requests", t)
    assert t not in seen, ("dup", t)
    seen.add(t)
    for op in lab.split("|"):
        assert op in OPS, (op, t)
    assert len(lab.split("|")) <= 2
    s, sp = req[t]
    assert split_of(t) == sp
    out[sp].append((t, lab, s))
for sp, rows in out.items():
    lim = int(0.08 * len(rows))
    c = Counter(path_of(s) for _, _, s in rows)
    assert c.most_common(1)[0][1] <= lim, (sp, c.most_common(3), lim)
    with open(f"{C}/labelled.{sp}.tsv", "w", encoding="utf-8") as f:
        f.write("text\texpected\tsource\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    dbl = sum("|" in l for _, l, _ in rows)
    print(f"labelled.{sp}: {len(rows)} lines, double labels {dbl} ({dbl/len(rows):.0%}), max/file {c.most_common(1)[0]} limit {lim}")
assert len(out["holdout"]) >= 130 and len(out["dev"]) >= 80

# ---------------------------------------------------------------- harmless
allrows = {}
for p in read_tsv(f"{HERE}/all_entries.tsv"):
    allrows.setdefault(p[0], p)
cand = defaultdict(list)
for l in open(f"{HERE}/harmless.list", encoding="utf-8"):
    t = l.rstrip("\n")
    if not t:
        continue
    src = req[t][0] if t in req else allrows[t][1]
    cand[split_of(t)].append((t, src))
hout = {}
for sp, rows in cand.items():
    # enforce the 8% per-file cap: keep the first entries of each file (list order), drop extras
    while True:
        lim = int(0.08 * len(rows))
        c = Counter(path_of(s) for _, s in rows)
        over = [p for p, n in c.items() if n > lim]
        if not over:
            break
        p = over[0]
        idx = max(i for i, (_, s) in enumerate(rows) if path_of(s) == p)
        print("  harmless cap: dropping", rows[idx][0][:60], file=sys.stderr)
        rows.pop(idx)
    hout[sp] = rows
    with open(f"{C}/harmless.{sp}.tsv", "w", encoding="utf-8") as f:
        f.write("text\tsource\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    print(f"harmless.{sp}: {len(rows)} lines, max/file {Counter(path_of(s) for _, s in rows).most_common(1)[0]} limit {int(0.08*len(rows))}")
assert len(hout["holdout"]) >= 30 and len(hout["dev"]) + len(hout["holdout"]) >= 60
