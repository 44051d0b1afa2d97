#!/usr/bin/env python3
"""De-duplicate candidate lists for dangerous-extra2.dev.tsv / harmless-extra2.dev.tsv.
Usage: dedup_extra2.py CORPUS_DIR DANGEROUS_IN HARMLESS_IN
Key: `text` column, lower-cased, whitespace collapsed, stripped. Reference: `text` column of
every *.tsv in CORPUS_DIR (dev AND holdout) except the two outputs. Prints counts only."""
import glob, os, re, sys
corpus, din, hin = sys.argv[1:4]
OUT = {'dangerous': os.path.join(corpus, 'dangerous-extra2.dev.tsv'),
       'harmless': os.path.join(corpus, 'harmless-extra2.dev.tsv')}
norm = lambda t: re.sub(r'\s+', ' ', t).strip().lower()
def read(p):
    ls = open(p, encoding='utf-8').read().split('\n')
    return ls[0], [l for l in ls[1:] if l.strip()]
ref, nf = set(), 0
for p in sorted(glob.glob(os.path.join(corpus, '*.tsv'))):
    if p in OUT.values(): continue
    nf += 1
    for r in read(p)[1]: ref.add(norm(r.split('\t', 1)[0]))
seen = set()
for kind, src in (('dangerous', din), ('harmless', hin)):
    hdr, rows = read(src); kept = []; dr = ds = 0
    for r in rows:
        k = norm(r.split('\t', 1)[0])
        if k in ref: dr += 1; continue
        if k in seen: ds += 1; continue
        seen.add(k); kept.append(r)
    open(OUT[kind], 'w', encoding='utf-8').write(hdr + '\n' + '\n'.join(kept) + '\n')
    print(f'{kind}: {len(rows)} candidates, {dr} dropped (match in existing corpus files), {ds} dropped (duplicate within new lines), {len(kept)} written')
print(f'reference files: {nf}, reference keys: {len(ref)}')
