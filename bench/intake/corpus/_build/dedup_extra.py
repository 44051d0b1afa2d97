#!/usr/bin/env python3
"""De-duplicate the *-extra.dev.tsv candidate files against every existing corpus file.

Usage: dedup_extra.py DANGEROUS_IN HARMLESS_IN
Writes ../dangerous-extra.dev.tsv and ../harmless-extra.dev.tsv.

Comparison key: the `text` column, lower-cased, whitespace collapsed, stripped.
Reference set: the `text` column of every *.tsv in the corpus directory (dev AND holdout
files) except the two output files. Holdout files are read only to build the key set;
no text is ever printed -- only counts.
"""
import glob, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.dirname(HERE)
OUT = {'dangerous': os.path.join(CORPUS, 'dangerous-extra.dev.tsv'),
       'harmless': os.path.join(CORPUS, 'harmless-extra.dev.tsv')}

def norm(t):
    return re.sub(r'\s+', ' ', t).strip().lower()

def read_tsv(path):
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    header, rows = lines[0], [l for l in lines[1:] if l.strip()]
    return header, rows

ref = set()
nref_files = 0
for p in sorted(glob.glob(os.path.join(CORPUS, '*.tsv'))):
    if p in OUT.values():
        continue
    nref_files += 1
    _, rows = read_tsv(p)
    for r in rows:
        ref.add(norm(r.split('\t', 1)[0]))

seen_new = set()
for kind, src in (('dangerous', sys.argv[1]), ('harmless', sys.argv[2])):
    header, rows = read_tsv(src)
    kept, d_ref, d_self = [], 0, 0
    for r in rows:
        k = norm(r.split('\t', 1)[0])
        if k in ref:
            d_ref += 1
            continue
        if k in seen_new:
            d_self += 1
            continue
        seen_new.add(k)
        kept.append(r)
    with open(OUT[kind], 'w', encoding='utf-8') as f:
        f.write(header + '\n' + '\n'.join(kept) + '\n')
    print(f'{kind}: {len(rows)} candidates, {d_ref} dropped (match in existing corpus files), '
          f'{d_self} dropped (duplicate within new files), {len(kept)} written')
print(f'reference files: {nref_files}, reference keys: {len(ref)}')
