"""A synthetic dataset through the data store and back."""

import numpy as np

from lrsweep.prepare.design import load_prepared, save_prepared
from lrsweep.store.entries import Store
from tests.unit.prepare.test_data import prepare


def test_synthetic_and_store_round_trip(tmp_path):
    p = prepare(
        {"source": "synthetic", "n_samples": 200, "n_features": 5, "n_informative": 3},
        split={"test_size": 0.2, "random_state": 0, "stratify": False},
        standardize=True,
    )
    store = Store(tmp_path)
    entry = store.put("prepared", "k" * 20, lambda w: save_prepared(p, w), label="ex")
    q = load_prepared(store.get("prepared", "k" * 20, "ex"))
    assert isinstance(q.X_train, np.memmap) and np.array_equal(q.X_train, p.X_train)
    assert q.meta["n_train"] == 160 and entry.key == "k" * 20
    assert np.array_equal(
        q.preprocessor.transform(np.ones((1, 5))), p.preprocessor.transform(np.ones((1, 5)))
    )
