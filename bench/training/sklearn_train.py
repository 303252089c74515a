"""The pandas / scikit-learn side of bench/training/run.ts: times one stage on the CSV keel's side also reads.

Usage: /usr/bin/python3 bench/training/sklearn_train.py <stage> <data.csv> <test-mask.u8> [runs=3]
  stage load:     pandas.read_csv(data.csv), `runs` times; only the read is timed.
  stage logistic: LogisticRegression(C=1, lbfgs, tol=1e-4, max_iter=200) on the training rows, `runs` times;
                  also prints the largest gradient component at its solution (mean-loss scale, as keel's tol).
  stage forest:   RandomForestClassifier(n_estimators=100, max_depth=12, n_jobs=2, random_state=0), `runs` times.
test-mask.u8 holds one byte per data row, 1 = holdout (keel's stratified 80/20 split, written by run.ts), so both
sides fit on the same rows. Features are as keel's pipeline makes them: the numeric columns in file order, then
`merchant` one-hot in sorted level order (`merchant=<level>`); for the logistic stage the numeric columns are
standardised with statistics of the training rows. Encoding and scaling happen outside the timed region, as
../shared/baselines/train_bench.py times the estimator's fit alone.
Prints one JSON line: per run the wall and CPU seconds of the timed region and the CPU other processes used
meanwhile (machine busy time from /proc/stat minus this process's), plus holdout ROC AUC where there is a model.
"""
import json
import os
import sys

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench_timing import timed  # noqa: E402  (bench/bench_timing.py)

CATEGORICAL = "merchant"
TARGET = "label"
C = 1.0


def features(df, train, standardise):
    numeric = [c for c in df.columns if c not in (CATEGORICAL, TARGET)]
    x_num = df[numeric].to_numpy(dtype=np.float64)
    if standardise:
        x_num = StandardScaler().fit(x_num[train]).transform(x_num)
    levels = sorted(df.loc[train, CATEGORICAL].unique())
    codes = df[CATEGORICAL].to_numpy()
    x_cat = np.stack([(codes == level).astype(np.float64) for level in levels], axis=1)
    names = numeric + [f"{CATEGORICAL}={level}" for level in levels]
    return np.ascontiguousarray(np.hstack([x_num, x_cat])), names


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    stage, csv, mask_path = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    out = {"stage": stage, "runs": [], "threadpools": [(p["internal_api"], p["num_threads"]) for p in threadpool_info()]}
    if stage == "load":
        for _ in range(runs):
            df, t = timed(lambda: pd.read_csv(csv))
            out["runs"].append(t)
        out["rows"], out["columns"] = int(df.shape[0]), int(df.shape[1])
        print(json.dumps(out))
        return

    df = pd.read_csv(csv)
    test = np.fromfile(mask_path, dtype=np.uint8) == 1
    if len(test) != len(df):
        sys.exit(f"test mask has {len(test)} rows but {csv} has {len(df)}")
    train = ~test
    y = df[TARGET].to_numpy()
    x, names = features(df, train, standardise=stage == "logistic")
    x_tr, y_tr, x_te, y_te = x[train], y[train], x[test], y[test]
    out.update(features=names, n_train=int(train.sum()), n_test=int(test.sum()))
    if stage == "logistic":
        make = lambda: LogisticRegression(C=C, solver="lbfgs", tol=1e-4, max_iter=200)
    elif stage == "forest":
        make = lambda: RandomForestClassifier(n_estimators=100, max_depth=12, n_jobs=2, random_state=0)
    else:
        sys.exit(f"unknown stage {stage!r}; use load, logistic or forest")
    for _ in range(runs):
        est = make()
        _, t = timed(lambda: est.fit(x_tr, y_tr))
        t["auc"] = float(roc_auc_score(y_te, est.predict_proba(x_te)[:, 1]))
        out["runs"].append(t)
    if stage == "logistic":
        out["n_iter"] = int(est.n_iter_[0])
        out["coef"] = est.coef_[0].tolist()
        out["intercept"] = float(est.intercept_[0])
        # scikit-learn 1.2's lbfgs applies `tol` to the gradient of the summed loss and often stops earlier on
        # its objective-change test, so report how converged the fit really is: the largest component of the
        # gradient of the mean loss + ||w||² / (2 C n), the quantity keel's `tol` bounds.
        w, b, n = est.coef_[0], est.intercept_[0], len(y_tr)
        r = (1.0 / (1.0 + np.exp(-(x_tr @ w + b))) - y_tr) / n
        out["max_abs_grad"] = float(max(np.abs(x_tr.T @ r + w / (C * n)).max(), abs(r.sum())))
    print(json.dumps(out))


main()
