"""The bare script the large-data benchmark compares against: generate (with the same
low-memory make_classification as lrsweep), split, standardize, fit (lbfgs, C=1) and compute
the same metrics, in one process, nothing written but a line."""

import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from lrsweep.prepare.data import make_synthetic
from lrsweep.prepare.design import Prepared
from lrsweep.score.metrics import evaluate

start = time.perf_counter()
X, y = make_synthetic(n_samples=1_000_000, n_features=50, n_informative=20, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
model = LogisticRegression(solver="lbfgs", C=1.0, random_state=0).fit(X_train, y_train)
prepared = Prepared(X_train, X_test, y_train, y_test, [0, 1], [f"x{i}" for i in range(50)])
result = {
    f"{k}_{p}": v
    for p, Xp in (("train", X_train), ("test", X_test))
    for k, v in (("pred", model.predict(Xp)), ("proba", model.predict_proba(Xp)))
}
scores = evaluate(prepared, result)
print(
    f"accuracy_test {scores['test']['scores']['accuracy']:.6f} "
    f"in {time.perf_counter() - start:.1f} s; coef norm {np.linalg.norm(model.coef_):.4f}"
)
