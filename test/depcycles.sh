#!/usr/bin/env bash
# test/depcycles.sh -- which source files depend on which, and whether any
# two depend on each other (directly or through others).
#
#   make && bash test/depcycles.sh [TREE]   # TREE: a built tree (default: this one)
#
# Two views, both must be free of cycles:
#   link:     a.c -> b.c when a.o uses a symbol that b.o defines (nm)
#   include:  a.c -> b.c when a.c (or a header it includes) includes a
#             header whose functions b.c defines
# and a pure file (no postgres.h) must depend on pure files only, so the
# unit tests can link it without the server.
# Prints the edges and "cycles: none", or the cycles found (exit 1).
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
python3 - <<'PY'
import glob, os, re, subprocess, sys
objs = sorted(glob.glob('src/*.o'))
if not objs:
    sys.exit('build first (make)')
defs, undef = {}, {}
for o in objs:
    src = os.path.basename(o)[:-2] + '.c'
    out = subprocess.run(['nm', o], capture_output=True, text=True).stdout
    undef[src] = set()
    for line in out.splitlines():
        p = line.split()
        if len(p) == 2 and p[0] == 'U':
            undef[src].add(p[1])
        elif len(p) == 3 and p[1] in 'TDBR':
            defs[p[2]] = src
link = {s: sorted({defs[u] for u in us if u in defs and defs[u] != s}) for s, us in undef.items()}

# include view: header -> the sources that define what it declares
def includes(path):
    try:
        return re.findall(r'^\s*#\s*include\s+"([^"]+)"', open(path).read(), re.M)
    except FileNotFoundError:
        return []
def closure(path, seen=None):
    seen = set() if seen is None else seen
    for h in includes(path):
        hp = os.path.join('src', h)
        if hp not in seen and os.path.exists(hp):
            seen.add(hp)
            closure(hp, seen)
    return seen
hdr_impl = {}
for h in glob.glob('src/*.h'):
    text = re.sub(r'/\*.*?\*/|//[^\n]*', ' ', open(h).read(), flags=re.S)
    names = set(re.findall(r'\b([A-Za-z_]\w*)\s*\(', text))
    hdr_impl[h] = {defs[n] for n in names if n in defs}
inc = {}
for c in sorted(glob.glob('src/*.c')):
    s = os.path.basename(c)
    inc[s] = sorted({d for h in closure(c) for d in hdr_impl.get(h, ()) if d != s})

def cycles(g):
    found, color, stack = [], {}, []
    def dfs(v):
        color[v] = 1; stack.append(v)
        for w in g.get(v, []):
            if color.get(w) == 1:
                found.append(stack[stack.index(w):] + [w])
            elif color.get(w) is None:
                dfs(w)
        stack.pop(); color[v] = 2
    for v in sorted(g):
        if color.get(v) is None:
            dfs(v)
    return found
bad = False
for name, g in (('link', link), ('include', inc)):
    print(f'== {name} dependencies')
    for s in sorted(g):
        if g[s]:
            print(f'  {s} -> {", ".join(g[s])}')
    cy = cycles(g)
    print(f'{name} cycles: ' + ('none' if not cy else '; '.join(' -> '.join(c) for c in cy)))
    bad |= bool(cy)
pure = {os.path.basename(c) for c in glob.glob('src/*.c')
        if '#include "postgres.h"' not in open(c).read()}
impure = [f'{s} -> {d}' for s in sorted(pure) for d in link.get(s, []) if d not in pure]
print('pure files using glue: ' + (', '.join(impure) if impure else 'none'))
bad |= bool(impure)
sys.exit(1 if bad else 0)
PY
