"""The split of a dataset's rows into training and test rows (``split:``), and the refusal of
classes that only the test rows hold.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lrsweep.errors import quote
from lrsweep.prepare.data import err


def split_rows(experiment: str, n: int, y: np.ndarray, split: Any, classes: list):
    """(train rows, test rows) as index arrays; ``split: none`` uses all rows for both (as the
    tutorial does: its numbers are on the rows it fitted)."""
    rows = np.arange(n)
    if split == "none":
        return rows, rows
    from sklearn.model_selection import train_test_split

    n_test = int(np.ceil(split["test_size"] * n))
    if n_test < 1 or n - n_test < 2:
        raise err(
            experiment,
            "split.test_size",
            f"test_size {split['test_size']} of {n} rows leaves too few rows to train or to test",
        )
    stratify = None
    if split["stratify"]:
        counts = np.bincount(y, minlength=len(classes))
        small = [
            f"{quote(classes[i])} ({c} row{'s' if c != 1 else ''})"
            for i, c in enumerate(counts)
            if c < 2
        ]
        if small:
            raise err(
                experiment,
                "split.stratify",
                f"class {', '.join(small)} too small for a stratified split (needs 2 rows)",
            )
        if n_test < len(classes) or n - n_test < len(classes):
            raise err(
                experiment,
                "split.test_size",
                f"a stratified split needs at least {len(classes)} test and train rows",
            )
        stratify = y
    train, test = train_test_split(
        rows, test_size=split["test_size"], random_state=split["random_state"], stratify=stratify
    )
    for label, part in (("training", train), ("test", test)):
        if len(np.unique(y[part])) < 2:
            raise err(
                experiment,
                "split",
                f"the {label} rows hold a single class; use a larger test_size or stratify: true",
            )
    refuse_classes_only_in_test(experiment, y, train, classes)
    return train, test


def refuse_classes_only_in_test(experiment: str, y: np.ndarray, train: np.ndarray, classes: list):
    """A class with no training rows cannot be learned (statsmodels fails on it, and its test
    metrics say nothing): refused at the split, before any fit."""
    counts = np.bincount(y, minlength=len(classes))
    absent = np.bincount(y[train], minlength=len(classes)) == 0
    if absent.any():
        i = int(np.flatnonzero(absent)[0])
        rows = (
            "its 1 row is a test row" if counts[i] == 1 else f"its {counts[i]} rows are test rows"
        )
        raise err(
            experiment,
            "split",
            f"class {quote(classes[i])} has no training rows ({rows}): "
            "use stratify: true, or add rows of it",
        )
