"""Churn learnability of a demo: logistic regression on engagement features.

Input: features.csv written by run.sh (one row per subscriber and monthly
as-of date).  Trains on the first two thirds of the as-of dates, reports the
AUC (Mann-Whitney, ties averaged) on the last third.
"""
import numpy as np, csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
asof = np.array([r['as_of'] for r in rows])
y = np.array([int(r['label']) for r in rows], float)
def col(n): return np.array([float(r[n]) for r in rows])
h14, h14p, h28pp = col('h14'), col('h14p'), col('h28pp')
X = np.column_stack([np.log1p(h14), np.log1p(h14p), np.log1p(h28pp), np.log1p(h14)-np.log1p(h14p+h28pp/2), col('days14'), np.log1p(col('since_play')), col('abandon'), col('browse'), np.log1p(col('tenure'))])
mu, sd = X.mean(0), X.std(0) + 1e-9
X = (X - mu) / sd
X = np.column_stack([np.ones(len(X)), X])
dates = sorted(set(asof)); cut = dates[(2 * len(dates)) // 3]
train = asof < cut; test = ~train
w = np.zeros(X.shape[1])
for it in range(30):
    p = 1/(1+np.exp(-X[train]@w))
    g = X[train].T@(y[train]-p) - 1e-3*w
    H = (X[train]*(p*(1-p))[:,None]).T@X[train] + 1e-3*np.eye(len(w))
    w += np.linalg.solve(H, g)
def auc(s, y):
    o = np.argsort(s, kind='mergesort'); r = np.empty(len(s)); r[o] = np.arange(1, len(s)+1)
    # ties: average ranks
    vals = s[o]; i = 0
    while i < len(s):
        j = i
        while j+1 < len(s) and vals[j+1] == vals[i]: j += 1
        r[o[i:j+1]] = (i+j+2)/2; i = j+1
    npos = y.sum(); nneg = len(y)-npos
    return (r[y==1].sum() - npos*(npos+1)/2)/(npos*nneg)
s = X[test]@w
print("rows", len(y), "pos rate %.3f" % y.mean(), "test AUC %.3f" % auc(s, y[test]), "train AUC %.3f" % auc(X[train]@w, y[train]))
dec = np.quantile(s, 0.9)
print("top decile cancel rate %.3f vs rest %.3f" % (y[test][s>=dec].mean(), y[test][s<dec].mean()))
print("coef", np.round(w,2))
