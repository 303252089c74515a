"""XGBoost side of bench/predict: trains the benchmark model and times XGBoost's own scoring.

Usage: python3 xgb_predict.py <data.csv> <model_out.json> <preds_out.f32> <score_rows> <runs>
Trains binary:logistic, 100 rounds, max_depth 6, eta 0.1, hist, nthread 2 on every row of keel's generated
fraud CSV (merchant as its index in MERCHANTS), saves the model as JSON, then times Booster.predict on a DMatrix
of the first <score_rows> rows with nthread 2 (DMatrix built outside the timed region). Prints one JSON line.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb

MERCHANTS = ['grocery', 'fuel', 'online', 'travel', 'restaurant', 'electronics', 'pharmacy', 'gaming']


def main() -> None:
    csv, model_out, preds_out, score_rows, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    df = pd.read_csv(csv)
    df['merchant'] = df['merchant'].map({m: i for i, m in enumerate(MERCHANTS)}).astype('float64')
    features = [c for c in df.columns if c != 'label']
    X = df[features].to_numpy(dtype=np.float64)
    y = df['label'].to_numpy()
    params = {'objective': 'binary:logistic', 'max_depth': 6, 'eta': 0.1, 'tree_method': 'hist', 'nthread': 2}
    t0 = time.perf_counter()
    booster = xgb.train(params, xgb.DMatrix(X, label=y, feature_names=features, nthread=2), num_boost_round=100)
    train_s = time.perf_counter() - t0
    booster.save_model(model_out)

    booster.set_param({'nthread': 2})
    preds = booster.predict(xgb.DMatrix(X[:score_rows], feature_names=features, nthread=2))  # warm-up
    times = []
    for _ in range(runs):
        # A fresh DMatrix per run (built untimed): XGBoost caches predictions per DMatrix, which would time a copy.
        dm = xgb.DMatrix(X[:score_rows], feature_names=features, nthread=2)
        t = time.perf_counter()
        preds = booster.predict(dm)
        times.append(time.perf_counter() - t)
    preds.astype(np.float32).tofile(preds_out)
    print(json.dumps({'xgboost': xgb.__version__, 'train_s': train_s, 'predict_s': times, 'rows': score_rows, 'features': features}))


if __name__ == '__main__':
    main()
