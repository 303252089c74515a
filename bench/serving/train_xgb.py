"""Model of bench/serving: XGBoost binary:logistic, 100 rounds, max_depth 6, eta 0.1, hist, on keel's generated
fraud CSV (30 features; merchant as its index in MERCHANTS, like bench/predict/xgb_predict.py).

Usage: python3 train_xgb.py <data.csv> <model_out.json> <body_out.json>
Writes the model JSON (features named f0..f28, merchant) and a one-row MLflow dataframe_split request body (row 0).
"""
import json
import sys

import numpy as np
import pandas as pd
import xgboost as xgb

MERCHANTS = ['grocery', 'fuel', 'online', 'travel', 'restaurant', 'electronics', 'pharmacy', 'gaming']


def main() -> None:
    csv, model_out, body_out = sys.argv[1], sys.argv[2], sys.argv[3]
    df = pd.read_csv(csv)
    df['merchant'] = df['merchant'].map({m: i for i, m in enumerate(MERCHANTS)}).astype('float64')
    features = [c for c in df.columns if c != 'label']
    X = df[features].to_numpy(dtype=np.float64)
    params = {'objective': 'binary:logistic', 'max_depth': 6, 'eta': 0.1, 'tree_method': 'hist', 'nthread': 2}
    booster = xgb.train(params, xgb.DMatrix(X, label=df['label'].to_numpy(), feature_names=features, nthread=2), num_boost_round=100)
    booster.save_model(model_out)
    with open(body_out, 'w') as f:
        json.dump({'dataframe_split': {'columns': features, 'data': [X[0].tolist()]}}, f)
    print(json.dumps({'xgboost': xgb.__version__, 'trees': booster.num_boosted_rounds(), 'features': len(features)}))


if __name__ == '__main__':
    main()
