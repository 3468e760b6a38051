"""The shared vocabulary: statuses are written as their plain text, effective C is 1/alpha."""

import io
import json
import math

import numpy as np
import pandas as pd
import pytest

from lrsweep.domain import RECORDED, SCORED, STATUS_ORDER, Status, effective_C


def test_status_is_written_and_read_as_its_text():
    frame = pd.DataFrame({"status": [Status.OK, Status.SEPARATED, Status.FAILED]})
    text = frame.to_csv(index=False)
    assert text == "status\nok\nseparated\nfailed\n"
    back = pd.read_csv(io.StringIO(text))["status"]
    assert list(back == Status.OK) == [True, False, False]
    assert json.dumps({"status": Status.SKIPPED}) == '{"status": "skipped"}'
    assert f"n_{Status.OK}" == "n_ok"


def test_status_groups():
    assert set(SCORED) == {"ok", "separated"}
    assert RECORDED == ("ok", "separated", "skipped", "failed")
    assert set(STATUS_ORDER) == {s for s in Status if s is not Status.PENDING}


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"library": "sklearn", "C": 0.5}, 0.5),
        ({"library": "sklearn", "C": "inf"}, math.inf),
        ({"library": "statsmodels", "regularized": "l1", "alpha": 4.0}, 0.25),
        ({"library": "statsmodels", "regularized": "l1", "alpha": np.float64(0.1)}, 10.0),
        ({"library": "statsmodels", "regularized": "l1", "alpha": 0.0}, math.inf),
        ({"library": "statsmodels", "regularized": "l1", "alpha": float("nan")}, math.inf),
        ({"library": "statsmodels", "regularized": "l1", "alpha": None}, math.inf),
        ({"library": "statsmodels", "regularized": "none", "alpha": 2.0}, math.inf),
    ],
)
def test_effective_C(row, expected):
    assert effective_C(row) == pytest.approx(expected)
    assert effective_C(pd.Series(row)) == pytest.approx(expected)
