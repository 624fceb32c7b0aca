"""Recommendation learnability of a demo: implicit ALS vs popularity vs oracle.

Input: plays.csv, users.csv, titles.csv written by run.sh.  Each user's
titles in order of first play: the first 80% train, the rest are held out
(users with at least 5 titles).  Reports recall@10 = held-out titles in the
top 10 / held-out titles, averaged over users.
"""
import numpy as np, csv, sys, time
plays = [(int(u), int(t), float(w)) for u, t, _, w in csv.reader(open('plays.csv'))]
titles = {int(t): (int(c), float(p)) for t, c, p in csv.reader(open('titles.csv'))}
utruth = {}
for u, c, w in csv.reader(open('users.csv')):
    utruth[int(u)] = ([int(x) for x in c.split()], [float(x) for x in w.split()])
T = max(titles) + 1
by_user = {}
for u, t, w in plays:
    by_user.setdefault(u, []).append((t, w))
train, test = {}, {}
for u, lst in by_user.items():
    if len(lst) < 5:
        train[u] = lst; continue
    k = int(len(lst) * 0.8)
    train[u] = lst[:k]; test[u] = set(t for t, _ in lst[k:])
users = sorted(train)
uidx = {u: i for i, u in enumerate(users)}
U = len(users)
pop = np.zeros(T)
for u in users:
    for t, w in train[u]: pop[t] += 1
def als(f=32, reg=0.1, alpha=10.0, iters=10, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 0.01, (U, f)); Y = rng.normal(0, 0.01, (T, f))
    ui = [np.array([t for t, w in train[u]]) for u in users]
    uw = [np.array([w for t, w in train[u]]) for u in users]
    it_users = [[] for _ in range(T)]
    for i, u in enumerate(users):
        for t, w in train[u]: it_users[t].append((i, w))
    ii = [np.array([i for i, w in l], int) for l in it_users]
    iw = [np.array([w for i, w in l]) for l in it_users]
    for _ in range(iters):
        for (A, B, idx, ws) in ((X, Y, ui, uw), (Y, X, ii, iw)):
            G = B.T @ B + reg * np.eye(f)
            for r in range(A.shape[0]):
                if len(idx[r]) == 0: A[r] = 0; continue
                Bi = B[idx[r]]; c = alpha * ws[r]
                M = G + (Bi * c[:, None]).T @ Bi
                A[r] = np.linalg.solve(M, (Bi * (1 + c)[:, None]).sum(0))
    return X, Y
def evaluate(scorefn, name):
    rec = []; 
    for u, ts in test.items():
        s = scorefn(u).copy()
        s[[t for t, w in train[u]]] = -np.inf
        s[0] = -np.inf
        top = np.argpartition(-s, 10)[:10]
        rec.append(len(ts & set(top.tolist())) / len(ts))
    print("%-28s recall@10 %.4f (users %d)" % (name, np.mean(rec), len(rec)))
evaluate(lambda u: pop, "popularity")
tp = np.zeros(T); tc = np.zeros(T, int)
for t, (c, p) in titles.items(): tp[t] = p; tc[t] = c
ctot = {}
for t, (c, p) in titles.items(): ctot[c] = ctot.get(c, 0) + p
def oracle(u):
    s = np.zeros(T)
    for c, w in zip(*utruth[u]):
        m = tc == c
        s[m] += w * tp[m] / ctot[c]
    return s
evaluate(oracle, "oracle (true tastes)")
for f, reg, alpha in [(32, 0.1, 10.0)]:
    t0 = time.time(); X, Y = als(f, reg, alpha, 10)
    evaluate(lambda u: Y @ X[uidx[u]], "ALS f=%d reg=%g a=%g (%.0fs)" % (f, reg, alpha, time.time() - t0))
