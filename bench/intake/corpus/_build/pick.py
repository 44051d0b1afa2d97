#!/usr/bin/env python3
"""Select the request corpus from all_entries.tsv and split it by hash.

- per source group (one package = one group, even if it ships several copies of its
  changelog), take at most K entries, evenly spaced through the file (no content choice);
- drop entries listed in exclude.txt (reviewed: not a change request, or a truncated
  fragment);
- split: holdout if the first hex digit of sha256(text) is 0-7, else dev;
- enforce the 8% per-source-file cap in each output file.
"""
import csv
import hashlib
import os
import sys
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.dirname(HERE)
K = int(os.environ.get("K", "15"))
CAP = 0.08


def split_of(text):
    return "holdout" if hashlib.sha256(text.encode("utf-8")).hexdigest()[0] in "01234567" else "dev"


def context_fragment(r):
    """Entries listed under a 'Removed'/'Deprecated'/'Yanked' heading that do not say so
    themselves (e.g. "The `input_lazy` method.") read as the opposite request out of context."""
    import re
    if re.search(r"remov|deprecat|yank", r.get("heading", ""), re.I):
        return not re.search(r"remov|drop|delet|deprecat|no longer|eliminat|replac|in favou?r|instead", r["text"], re.I)
    return False


def load(path):
    with open(path, newline="") as f:
        r = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        head = next(r)
        return [dict(zip(head, row)) for row in r]


def main():
    rows = load(os.path.join(HERE, "all_entries.tsv"))
    excl = set()
    p = os.path.join(HERE, "exclude.txt")
    if os.path.exists(p):
        excl = {ln.rstrip("\n") for ln in open(p) if ln.strip() and not ln.startswith("#")}
    by_group = defaultdict(list)
    for r in rows:
        by_group[r["group"]].append(r)
    chosen = []
    for g, lst in by_group.items():
        n = len(lst)
        idx = range(n) if n <= K else sorted({int((i + 0.5) * n / K) for i in range(K)})
        chosen.extend(lst[i] for i in idx)
    chosen = [r for r in chosen if r["text"] not in excl and not context_fragment(r)]
    out = {"dev": [], "holdout": []}
    for r in chosen:
        r["split"] = split_of(r["text"])
        out[r["split"]].append(r)
    for sp, lst in out.items():
        limit = int(CAP * len(lst))
        c = Counter(r["path"] for r in lst)
        worst = c.most_common(1)[0]
        assert worst[1] <= limit, (sp, worst, limit)
        with open(os.path.join(CORPUS, f"requests.{sp}.tsv"), "w") as f:
            f.write("text\tsource\n")
            for r in lst:
                assert "\t" not in r["text"] and "\n" not in r["text"]
                f.write(f"{r['text']}\t{r['source']}\n")
        print(sp, len(lst), "max per file:", worst, "limit", limit, file=sys.stderr)
    with open(os.path.join(HERE, "selected.tsv"), "w") as f:
        f.write("split\tgroup\ttext\tsource\theading\n")
        for r in chosen:
            f.write(f"{r['split']}\t{r['group']}\t{r['text']}\t{r['source']}\t{r['heading']}\n")


if __name__ == "__main__":
    main()
