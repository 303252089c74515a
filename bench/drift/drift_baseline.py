"""Python baseline for bench/drift (adapted from /work/shared/baselines/drift_bench.py).
Usage: /usr/bin/python3 drift_baseline.py <dir> [rows=1000000] [reps=3]
Writes <dir>/reference.f64 and <dir>/current.f64 (30 columns, column-major float64, little-endian) so keel
times the very same data, then times, single-threaded like the original:
  KS:  scipy.stats.ks_2samp per column, rows vs rows;
  PSI: 10 reference-quantile bins (np.quantile), np.searchsorted + np.bincount, eps 1e-6.
Data: f_j ~ N(0, 1 + j/10) (numpy seed 42); current = reference + N(0, 0.05), with +0.2 on f0..f4 (drifted).
Prints a markdown table and, last, one JSON line with the medians."""
import json, os, statistics, sys, time
import numpy as np
from scipy.stats import ks_2samp

out_dir = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
cols = 30
rng = np.random.default_rng(42)
ref = np.asfortranarray(rng.normal(0.0, 1.0, (n, cols)) * (1 + np.arange(cols) / 10))
cur = ref + rng.normal(0.0, 0.05, ref.shape)
cur[:, :5] += 0.2
cur = np.asfortranarray(cur)
ref.T.astype("<f8").tofile(os.path.join(out_dir, "reference.f64"))
cur.T.astype("<f8").tofile(os.path.join(out_dir, "current.f64"))


def ks_all(a, b):
    return [ks_2samp(a[:, j], b[:, j]) for j in range(a.shape[1])]


def psi(r, c, bins=10, eps=1e-6):
    edges = np.quantile(r, np.linspace(0, 1, bins + 1))[1:-1]
    rp = np.bincount(np.searchsorted(edges, r, side="right"), minlength=bins) / r.size
    cp = np.bincount(np.searchsorted(edges, c, side="right"), minlength=bins) / c.size
    rp, cp = np.clip(rp, eps, None), np.clip(cp, eps, None)
    return float(np.sum((cp - rp) * np.log(cp / rp)))


def psi_all(a, b):
    return [psi(a[:, j], b[:, j]) for j in range(a.shape[1])]


def timed(label, fn, *args):
    ts, res = [], None
    for _ in range(reps):
        t0 = time.perf_counter(); res = fn(*args); ts.append(time.perf_counter() - t0)
    med = statistics.median(ts)
    print(f"| python {label} | {med * 1000:.0f} ms | {med * 1000 / cols:.1f} ms | {', '.join(f'{t * 1000:.0f}' for t in ts)} ms |", flush=True)
    return med, res


print(f"python baseline: reference {ref.shape}, current {cur.shape}; reps={reps}", flush=True)
ks_t, ks = timed(f"ks_2samp {n} vs {n}", ks_all, ref, cur)
psi_t, ps = timed(f"PSI 10 quantile bins {n} vs {n}", psi_all, ref, cur)
print(json.dumps({"ks_ms": ks_t * 1000, "psi_ms": psi_t * 1000,
                  "ks_p": [float(r.pvalue) for r in ks], "ks_stat": [float(r.statistic) for r in ks], "psi": ps}))
