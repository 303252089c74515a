"""Flask baseline of bench/serving: MLflow-shaped /invocations for the XGBoost model, in the best configuration
measured in ../shared baselines (numpy, no pandas on the request path; one XGBoost thread per worker).

POST /invocations {"dataframe_split": {"columns": [...], "data": [[...]]}} -> {"predictions": [p1, ...]}
(p = class-1 probability). Env: MODEL (the model JSON). Run: gunicorn -k sync -w 2 -b 127.0.0.1:PORT flask_app:app
"""
import os

import numpy as np
from flask import Flask, jsonify, request
from xgboost import XGBClassifier

model = XGBClassifier()
model.load_model(os.environ['MODEL'])
model.set_params(n_jobs=1)
COLS = list(model.get_booster().feature_names)
app = Flask(__name__)


@app.post('/invocations')
def invocations():
    split = request.get_json(force=True)['dataframe_split']
    X = np.asarray(split['data'], dtype=np.float64)
    if split.get('columns', COLS) != COLS:
        X = X[:, [split['columns'].index(c) for c in COLS]]
    return jsonify({'predictions': model.predict_proba(X)[:, 1].tolist()})
