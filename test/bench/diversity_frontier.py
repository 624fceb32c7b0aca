#!/usr/bin/env python3
"""test/bench/diversity_frontier.py -- what a genre cap and a popularity-aware
relevance would do to the diversity targets, simulated outside the server.

A study tool for choosing the next diversity defaults (doc/serve.md,
"Diversity"), not a test: it re-ranks pools that recommend_for exported and
scores the lists against held-out plays.  Written by
test/bench/diversity_frontier.sh; standard library only.

Input (tab-separated, in the directory given by $DV):
  pool.tsv  user_id, rank, title_id, score, popularity (training users of
            the title), hit (1 when held out for the user), genres ('|')
  p.tsv     user_id, genre, p: the genre mix of the user's training history
            (each title's weight spread evenly over its genres)
  nrel.tsv  user_id, number of held-out titles

Each setting "d,w,cap,rel[,mu[,first]]" builds a list of 10 per user
greedily from the best N titles of the pool (first argument), each step
adding the title that maximises (1 - d) * sum(rel) - d * KL(p || 0.99 q +
0.01 p) -- the calibration of src/diversity.c, q the list's genre mix --
among the titles that keep every genre at most `cap` times in the list
(with mu, a title that breaks the cap is not excluded but pays mu; with
"first", the cap counts a title's first genre only, as the server does).
rel = "score" is the model's score; rel = "borda" is -(rank by score + w *
rank by popularity) / N, both ranks within the pool (the server's
relevance at w = 1.5).  Printed per setting: mean recall@10 (hits /
min(held-out, 10)), the share of lists with 6 or more titles of one
genre, counting a title's first genre and counting each of its genres,
and the mean KL.
"""
import collections
import math
import os
import sys

D = os.environ.get('DV', '.')
N = int(sys.argv[1])
K = 10

pool = collections.defaultdict(list)
with open(os.path.join(D, 'pool.tsv')) as fh:
    for line in fh:
        u, rank, t, score, pop, hit, gs = line.rstrip('\n').split('\t')
        if int(rank) <= N:
            pool[int(u)].append((int(rank), float(score), int(pop), int(hit),
                                 gs.split('|') if gs else []))
mix = collections.defaultdict(dict)
with open(os.path.join(D, 'p.tsv')) as fh:
    for line in fh:
        u, g, p = line.rstrip('\n').split('\t')
        mix[int(u)][g] = float(p)
with open(os.path.join(D, 'nrel.tsv')) as fh:
    nrel = {int(a): int(b) for a, b in (line.split() for line in fh)}


def kl(p, q, total):
    s = 0.0
    for g, pg in p.items():
        qg = q.get(g, 0.0) / total if total > 0 else 0.0
        s += pg * math.log(pg / (0.99 * qg + 0.01 * pg))
    return s


def one_list(c, p, d, w, cap, rel_kind, mu, first):
    by_pop = sorted(range(len(c)), key=lambda i: (-c[i][2], c[i][0]))
    pop_rank = [0] * len(c)
    for r, i in enumerate(by_pop):
        pop_rank[i] = r + 1
    if rel_kind == 'borda':
        rel = [-(c[i][0] + w * pop_rank[i]) / len(c) for i in range(len(c))]
    else:
        rel = [c[i][1] for i in range(len(c))]
    capped = (lambda i: c[i][4][:1]) if first else (lambda i: c[i][4])
    count = collections.Counter()
    q = collections.Counter()
    qt = 0.0
    srel = 0.0
    chosen = []
    for _ in range(K):
        best, best_obj = None, None
        for i in range(len(c)):
            if i in chosen:
                continue
            over = any(count[g] >= cap for g in capped(i))
            if over and mu is None:
                continue
            if d > 0:
                q2 = q.copy()
                for g in c[i][4]:
                    q2[g] += 1.0 / len(c[i][4])
                obj = (1 - d) * (srel + rel[i]) - d * kl(p, q2, qt + (1.0 if c[i][4] else 0.0))
            else:
                obj = rel[i]
            if over:
                obj -= mu
            if best_obj is None or obj > best_obj + 1e-12:
                best, best_obj = i, obj
        if best is None:
            break
        chosen.append(best)
        srel += rel[best]
        for g in capped(best):
            count[g] += 1
        for g in c[best][4]:
            q[g] += 1.0 / len(c[best][4])
        if c[best][4]:
            qt += 1.0
    return chosen, kl(p, q, qt) if p else 0.0


def run(d, w, cap, rel_kind, mu, first):
    recall = six_first = six_any = kls = 0.0
    n = 0
    for u, c in pool.items():
        if u not in nrel:
            continue
        chosen, k = one_list(c, mix.get(u, {}), d, w, cap, rel_kind, mu, first)
        recall += sum(c[i][3] for i in chosen) / min(nrel[u], K)
        by_first = collections.Counter(c[i][4][0] for i in chosen if c[i][4])
        by_any = collections.Counter(g for i in chosen for g in c[i][4])
        six_first += 1 if by_first and max(by_first.values()) >= 6 else 0
        six_any += 1 if by_any and max(by_any.values()) >= 6 else 0
        kls += k
        n += 1
    return recall / n, 100.0 * six_first / n, 100.0 * six_any / n, kls / n


base = None
for spec in sys.argv[2:]:
    f = spec.split(',')
    d, w, cap, rel_kind = float(f[0]), float(f[1]), int(f[2]), f[3]
    mu = float(f[4]) if len(f) > 4 and f[4] not in ('', 'inf') else None
    first = len(f) > 5 and f[5] == 'first'
    r = run(d, w, cap, rel_kind, mu, first)
    if base is None:
        base = r
    print(f"| {d} | {w if rel_kind == 'borda' else ''} | {cap if cap < 99 else '-'}{' (first genre)' if first else ''}"
          f"{' soft ' + str(mu) if mu is not None else ''} | {rel_kind} | {r[0]:.4f} ({100 * (r[0] / base[0] - 1):+.1f} %) "
          f"| {r[1]:.1f} % | {r[2]:.1f} % | {r[3]:.3f} ({100 * (r[3] / base[3] - 1):+.0f} %) |", flush=True)
