"""The MLflow model of a selected fit: a pyfunc "model from code" around its ``model.skops``.

``lrsweep export mlflow`` logs this file with ``mlflow.pyfunc.log_model(python_model=<this
file>, artifacts={"model": model.skops, "info": the experiment's record})``, so MLflow stores
code and the skops file, never a pickle of the estimator. ``mlflow.pyfunc.load_model(uri)``
runs this file, and :meth:`LrsweepPipeline.load_context` loads the pipeline through
:func:`lrsweep.store.modelfile.load` (its allow-list of types and size limits); ``predict`` is
:func:`lrsweep.tools.predict.score_frame`, the function of ``lrsweep predict``: the same columns
(``predicted`` and ``p_<class>``) and the same numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
from mlflow.pyfunc import PythonModel


class LrsweepPipeline(PythonModel):
    def load_context(self, context):
        from lrsweep.store import modelfile

        path = Path(context.artifacts["model"])
        self.info = json.loads(Path(context.artifacts["info"]).read_text(encoding="utf-8"))
        self.model = modelfile.load(path.read_bytes(), str(path))

    def predict(self, context, model_input, params=None):
        import pandas as pd

        from lrsweep.tools.predict import score_frame

        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        return score_frame(self.model, self.info, frame)


mlflow.models.set_model(LrsweepPipeline())
