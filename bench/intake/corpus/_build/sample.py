#!/usr/bin/env python3
"""Even sample of the requests files for labelling: writes sample.{holdout,dev}.txt (index<TAB>text).
The labels for these lines, in the same order, are in labels.{holdout,dev}.list."""
import os
HERE = os.path.dirname(os.path.abspath(__file__))
for sp, n in (("holdout", 140), ("dev", 90)):
    rows = [l.rstrip("\n").split("\t") for l in open(f"{HERE}/../requests.{sp}.tsv", encoding="utf-8")][1:]
    N = len(rows)
    idx = sorted({int((i + 0.5) * N / n) for i in range(n)})
    with open(f"{HERE}/sample.{sp}.txt", "w", encoding="utf-8") as f:
        for i in idx:
            f.write(f"{i}\t{rows[i][0]}\n")
