"""statsmodels fits: ``Logit`` (two classes) or ``MNLogit`` (three or more) with full inference.

The constant is added here (the tutorial's ``add_constant``) and named ``intercept``.

``regularized: l1`` calls ``fit_regularized(method="l1", alpha=...)`` with the intercept left
unpenalized. statsmodels minimises ``-loglik + alpha * sum|beta|`` while scikit-learn minimises
``C * (-loglik) + sum|beta|``; dividing the latter by ``C`` shows that ``alpha = 1 / C`` gives
the same estimates (tested in ``tests/test_stats.py``).
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from lrsweep.data import Prepared


class PerfectSeparationError(ValueError):
    """The data are (quasi-)perfectly separated: the MLE does not exist."""


def constant_columns(X: np.ndarray, names: list[str]) -> list[str]:
    X = np.asarray(X)
    return [names[j] for j in np.flatnonzero(np.ptp(X, axis=0) == 0)]


def explain_failure(exc: BaseException, prepared: Prepared | None = None) -> str:
    """One line a person understands, for the ``reason`` column."""
    from numpy.linalg import LinAlgError

    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    name = type(exc).__name__
    if "PerfectSeparation" in name or "perfect separation" in text.lower():
        return (
            "perfect separation: the features separate the classes exactly, so the "
            "maximum-likelihood estimate does not exist (use a penalty or regularized: l1)"
        )
    if isinstance(exc, LinAlgError) or "singular" in text.lower():
        if prepared is not None:
            const = constant_columns(prepared.X_train, prepared.feature_names)
            if const:
                shown = ", ".join(const[:6]) + (
                    f" and {len(const) - 6} more" if len(const) > 6 else ""
                )
                return (
                    f"singular Hessian: constant columns {shown} on the training rows; "
                    "drop them or use regularized: l1"
                )
        return (
            "singular Hessian: the features are collinear; "
            "drop redundant columns or use regularized: l1"
        )
    return f"{name}: {text}"


def _design(X: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(len(X)), np.asarray(X)])


def fit_statsmodels(prepared: Prepared, point: dict) -> dict:
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

    try:
        from statsmodels.tools.sm_exceptions import PerfectSeparationWarning
    except ImportError:  # pragma: no cover - older statsmodels raise an error instead
        PerfectSeparationWarning = None

    k = prepared.n_classes
    terms = ["intercept", *prepared.feature_names]
    exog = _design(prepared.X_train)
    model = (sm.Logit if k == 2 else sm.MNLogit)(np.asarray(prepared.y_train), exog)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if PerfectSeparationWarning is not None:
            warnings.simplefilter("error", PerfectSeparationWarning)
        start = time.perf_counter()
        if point["regularized"] == "l1":
            alpha = np.full(exog.shape[1], float(point["alpha"]))
            alpha[0] = 0.0  # the intercept is not penalized
            if k > 2:
                alpha = np.tile(alpha[:, None], (1, k - 1)).ravel(order="F")
            result = model.fit_regularized(
                method="l1", alpha=alpha, maxiter=point["maxiter"], disp=0, trim_mode="size"
            )
        else:
            result = model.fit(method=point["method"], maxiter=point["maxiter"], disp=0)
        seconds = time.perf_counter() - start
    bad = (ConvergenceWarning, HessianInversionWarning)
    retvals = result.mle_retvals
    converged = bool(retvals.get("converged", True)) and not any(
        issubclass(w.category, bad) for w in caught
    )

    fitted = np.asarray(result.predict(exog))
    observed = np.eye(k)[np.asarray(prepared.y_train)]
    if not converged and np.max(np.abs((observed[:, 1] if k == 2 else observed) - fitted)) < 1e-6:
        # statsmodels did not say so, but every training row is predicted with certainty
        raise PerfectSeparationError("every training row is fitted with probability 0 or 1")
    params = np.asarray(result.params).reshape(len(terms), -1)  # (terms, k-1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bse = np.asarray(result.bse).reshape(params.shape)
        z = np.asarray(result.tvalues).reshape(params.shape)
        p = np.asarray(result.pvalues).reshape(params.shape)
        ci = np.asarray(result.conf_int(alpha=0.05))
    if k == 2:
        ci_low, ci_high = ci[:, 0].reshape(params.shape), ci[:, 1].reshape(params.shape)
    else:  # MNLogit: (equations, terms, 2)
        ci_low, ci_high = ci[..., 0].T, ci[..., 1].T
    classes = prepared.classes[1:] if k > 2 else [prepared.classes[1]]

    def proba(X):
        pr = np.asarray(result.predict(_design(X)))
        return np.column_stack([1 - pr, pr]) if k == 2 else pr

    proba_train, proba_test = proba(prepared.X_train), proba(prepared.X_test)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        summary = str(result.summary())
        try:
            summary2 = str(result.summary2())
        except Exception as exc:  # summary2 is unavailable for some fits; say so
            summary2 = f"summary2() is not available for this fit: {exc}"
    return {
        "status": "ok",
        "converged": converged,
        "n_iter": int(retvals.get("iterations", 0) or 0),
        "fit_seconds": seconds,
        "coef_classes": classes,
        "terms": terms,
        "estimates": params.T,
        "inference": {
            "std_err": bse.T,
            "z": z.T,
            "p_value": p.T,
            "ci_low": ci_low.T,
            "ci_high": ci_high.T,
        },
        "stats": {
            "llf": float(result.llf),
            "llnull": float(result.llnull),
            "pseudo_r2": float(result.prsquared),
            "llr_pvalue": float(result.llr_pvalue),
            "aic": float(result.aic),
            "bic": float(result.bic),
        },
        "summary": summary,
        "summary2": summary2,
        "pred_table": np.asarray(result.pred_table()).astype(int).tolist(),
        "pred_train": _predict(proba_train),
        "pred_test": _predict(proba_test),
        "proba_train": proba_train,
        "proba_test": proba_test,
    }


def _predict(proba: np.ndarray) -> np.ndarray:
    """Threshold 0.5 for two classes (as ``pred_table``), arg-max for more."""
    if proba.shape[1] == 2:
        return (proba[:, 1] > 0.5).astype(np.int64)
    return np.argmax(proba, axis=1).astype(np.int64)
