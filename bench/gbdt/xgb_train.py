"""The XGBoost / scikit-learn side of bench/gbdt/run.ts: fits on the CSV and split keel's side uses.

Usage: /usr/bin/python3 bench/gbdt/xgb_train.py <model> <data.csv> <test-mask.u8>
  model xgboost: XGBClassifier(tree_method='hist', n_estimators=100, learning_rate=0.1, max_leaves=31,
                 grow_policy='lossguide', max_depth=0 (no depth limit, as leaf-wise keel), nthread=2).
  model sklearn: HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, max_leaf_nodes=31,
                 early_stopping=False), OpenMP threads as the machine's cores (2).
Features as bench/training/sklearn_train.py makes them (numeric columns, then `merchant` one-hot in sorted level
order); test-mask.u8 holds one byte per row, 1 = holdout. Only `fit` is timed. Prints one JSON line.
"""
import json
import os
import sys

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_info

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench_timing import timed  # noqa: E402  (bench/bench_timing.py)

CATEGORICAL = "merchant"
TARGET = "label"


# features as in bench/training/sklearn_train.py (which runs on import, so it cannot be imported).
def features(df, train):
    numeric = [c for c in df.columns if c not in (CATEGORICAL, TARGET)]
    x_num = df[numeric].to_numpy(dtype=np.float64)
    levels = sorted(df.loc[train, CATEGORICAL].unique())
    codes = df[CATEGORICAL].to_numpy()
    x_cat = np.stack([(codes == level).astype(np.float64) for level in levels], axis=1)
    names = numeric + [f"{CATEGORICAL}={level}" for level in levels]
    return np.ascontiguousarray(np.hstack([x_num, x_cat])), names


def make(model):
    if model == "xgboost":
        import xgboost

        return xgboost.XGBClassifier(
            tree_method="hist", n_estimators=100, learning_rate=0.1, max_leaves=31, grow_policy="lossguide",
            max_depth=0, nthread=2,
        ), xgboost.__version__
    if model == "sklearn":
        import sklearn
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(
            max_iter=100, learning_rate=0.1, max_leaf_nodes=31, early_stopping=False, random_state=0,
        ), sklearn.__version__
    sys.exit(f"unknown model {model!r}; use xgboost or sklearn")


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    model, csv, mask_path = sys.argv[1:4]
    df = pd.read_csv(csv)
    test = np.fromfile(mask_path, dtype=np.uint8) == 1
    if len(test) != len(df):
        sys.exit(f"test mask has {len(test)} rows but {csv} has {len(df)}")
    train = ~test
    y = df[TARGET].to_numpy()
    x, names = features(df, train)
    est, version = make(model)
    _, t = timed(lambda: est.fit(x[train], y[train]))
    t["auc"] = float(roc_auc_score(y[test], est.predict_proba(x[test])[:, 1]))
    print(json.dumps({
        "model": model, "version": version, "features": names, "n_train": int(train.sum()), "run": t,
        "threadpools": [(p["internal_api"], p["num_threads"]) for p in threadpool_info()],
    }))


main()
