"""Model files load through one function with an exact allow-list and size limits
(lrsweep.store.modelfile): a crafted file gives an error, never runs code."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from lrsweep.errors import LrsweepError
from lrsweep.store.modelfile import (
    ALLOWED_TYPES,
    LIMITS,
    dumps,
    load,
)
from tests.conftest import REPO


def _rewritten(data: bytes, edit) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    schema = json.loads(source.read("schema.json"))
    edit(schema)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in source.namelist():
            payload = json.dumps(schema) if name == "schema.json" else source.read(name)
            z.writestr(name, payload)
    return out.getvalue()


def _exec_gadget(marker: Path) -> bytes:
    """The reproduction of the issue: an object whose reduce is (type, args), renamed to
    numpy.testing's ``runstring`` (which is ``exec``): a ``numpy.`` name."""
    import skops.io as sio

    class Evil:
        def __init__(self, a, b):
            pass

        def __reduce__(self):
            return (Evil, (f"open({str(marker)!r}, 'w').write('ran')", {}))

    Evil.__module__ = "__main__"

    def rename(schema):
        schema["__module__"], schema["__class__"] = "numpy.testing._private.utils", "runstring"

    return _rewritten(sio.dumps(Evil(0, 0)), rename)


def test_exec_gadget_under_a_trusted_prefix_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(LrsweepError, match="runstring.*not loaded"):
        load(_exec_gadget(marker), "model.skops")
    assert not marker.exists()


def test_a_swapped_type_inside_a_real_pipeline_is_refused():
    from sklearn.linear_model import LogisticRegression

    X, y = np.random.default_rng(1).normal(size=(30, 2)), np.arange(30) % 2
    good = dumps(LogisticRegression().fit(X, y))

    def swap(schema):  # an sklearn type lrsweep never saves, by its full name
        schema["__module__"], schema["__class__"] = "sklearn.utils._testing", "TempMemmap"

    with pytest.raises(LrsweepError, match="TempMemmap"):
        load(_rewritten(good, swap), "model.skops")


def test_size_limits_and_garbage():
    assert LIMITS["file_bytes"] < 1 << 30
    with pytest.raises(LrsweepError, match="not a model file"):
        load(b"not a zip at all", "model.skops")
    small = {**LIMITS, "file_bytes": 10}
    from lrsweep.store.modelfile import check_sizes

    with pytest.raises(LrsweepError, match="over the 10 allowed"):
        check_sizes(b"x" * 11, "model.skops", small)


def test_the_readme_counts_the_allowed_types():
    import re

    readme = (REPO / "README.md").read_text()
    said = re.search(r"one of the (\d+) fully-qualified types", " ".join(readme.split()))
    assert said and int(said.group(1)) == len(ALLOWED_TYPES)
