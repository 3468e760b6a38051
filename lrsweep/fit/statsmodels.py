"""statsmodels fits: ``Logit`` (two classes) or ``MNLogit`` (three or more) with full inference.

The constant is added here (the tutorial's ``add_constant``) and named ``intercept``; the
design is the experiment's without each categorical column's reference level
(:mod:`lrsweep.prepare.design`), with readable term names in the summaries.

``regularized: l1`` calls ``fit_regularized(method="l1", alpha=...)`` with the intercept left
unpenalized. statsmodels minimises ``-loglik + alpha * sum|beta|`` while scikit-learn minimises
``C * (-loglik) + sum|beta|``; dividing the latter by ``C`` shows that ``alpha = 1 / C`` gives
the same objective (tested in ``tests/integration/test_statsmodels.py``). After L1 selection the
usual standard errors, p-values and intervals are not valid (they treat the selected terms as
fixed in advance): they are not reported for L1 fits.

The maximum-likelihood estimate does not exist under complete or quasi-complete separation
(Albert & Anderson 1984). :func:`separation` tests for it by linear programming (Konis 2007):
such a fit fails (complete) or is marked ``separated`` and is never selected (quasi-complete).

Wide designs (at least as many terms as training rows) are decided before any fit by
:func:`check_wide`, from one SVD of the n x p design (O(n^2 p)): full row rank means any
labelling is fitted exactly (complete separation); a lower rank means more terms than the
rank, so the estimates are not identified. Newton on p terms would cost n p^2 + p^3 an
iteration (10,001 terms: minutes and gigabytes for an answer known in a second).
"""

from __future__ import annotations

import re
import time
import warnings

import numpy as np

from lrsweep.domain import Status
from lrsweep.prepare.design import Prepared

L1_NOTE = (
    "NOTE (lrsweep): this is an L1-penalized fit. The standard errors, z, p-values and "
    "intervals below treat the selected terms as fixed in advance; after selection they are "
    "not valid, so lrsweep does not report them.\n\n"
)


COV_NOTE = (
    "The standard errors above are model-based (nonrobust). coefficients.csv holds those of "
    "every cov_type asked for, with odds ratios; marginal_effects.csv the average marginal "
    "effects."
)


class PerfectSeparationError(ValueError):
    """The data are perfectly separated: the MLE does not exist. ``str()`` says how, as the
    middle of the ``reason`` (:func:`explain_failure`)."""


class CollinearDesignError(ValueError):
    """More terms than the design's rank: the estimates are not identified."""


#: The end of every perfect separation reason.
NO_MLE = "so the maximum-likelihood estimate does not exist (use a penalty or regularized: l1)"


def constant_columns(X: np.ndarray, names: list[str]) -> list[str]:
    X = np.asarray(X)
    return [names[j] for j in np.flatnonzero(np.ptp(X, axis=0) == 0)]


def explain_failure(exc: BaseException, prepared: Prepared | None = None) -> str:
    """One line a person understands, for the ``reason`` column."""
    from numpy.linalg import LinAlgError

    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    name = type(exc).__name__
    if isinstance(exc, PerfectSeparationError):
        return f"perfect separation: {text}, {NO_MLE}"
    if "PerfectSeparation" in name or "perfect separation" in text.lower():
        return f"perfect separation: the features separate the classes exactly, {NO_MLE}"
    if isinstance(exc, CollinearDesignError):
        return f"singular Hessian: {text}; drop redundant columns or use regularized: l1"
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


def design(prepared: Prepared, X: np.ndarray):
    """The statsmodels design of rows ``X``: a constant and the columns statsmodels keeps."""
    import pandas as pd

    keep = [j for j in range(len(prepared.feature_names)) if j not in set(prepared.sm_drop)]
    names = ["intercept", *(prepared.feature_names[j] for j in keep)]
    X = np.asarray(X)[:, keep] if prepared.sm_drop else np.asarray(X)
    return pd.DataFrame(np.column_stack([np.ones(len(X)), X]), columns=names)


def _separable(X: np.ndarray, signs: np.ndarray, tol: float = 1e-7) -> tuple[bool, bool]:
    """(separated at all, completely) for rows ``X`` with signs ±1 (Konis 2007): maximise
    sum_i s_i x_i'b subject to s_i x_i'b >= 0 and -1 <= b <= 1. A positive optimum means a
    direction that never lowers the likelihood and raises it for some rows: (quasi-)complete
    separation, and the MLE does not exist."""
    from scipy.optimize import linprog

    A = X * signs[:, None]
    scale = np.abs(A).max() or 1.0
    A = A / scale
    res = linprog(
        -A.sum(axis=0),
        A_ub=-A,
        b_ub=np.zeros(len(A)),
        bounds=[(-1, 1)] * A.shape[1],
        method="highs",
    )
    if res.status != 0 or -res.fun <= tol * len(A):
        return False, False
    # complete: some b gives every row a positive margin t (maximise t, t <= 1)
    n, p = A.shape
    res = linprog(
        np.r_[np.zeros(p), -1.0],
        A_ub=np.column_stack([-A, np.ones(n)]),
        b_ub=np.zeros(n),
        bounds=[(-1, 1)] * p + [(None, 1)],
        method="highs",
    )
    return True, bool(res.status == 0 and -res.fun > tol)


def row_space(X: np.ndarray) -> tuple[int, np.ndarray]:
    """(rank, the rows' coordinates in an orthonormal basis of the row space) of ``X``, from
    one thin SVD ``X = U S V'`` (O(n^2 p) for n rows and p >= n columns); the rank uses
    ``numpy.linalg.matrix_rank``'s tolerance. The coordinates ``Z = U_r S_r = X V_r`` keep
    every linear predictor: ``x_i'b = z_i'(V_r'b)`` for any ``b``, so the rows of ``X`` are
    separated exactly when those of the n x r matrix ``Z`` are."""
    X = np.asarray(X, dtype=float)
    U, s, _ = np.linalg.svd(X, full_matrices=False)
    tol = s.max(initial=0.0) * max(X.shape) * np.finfo(float).eps
    rank = int(np.count_nonzero(s > tol))
    return rank, U[:, :rank] * s[:rank]


def separation(exog: np.ndarray, y: np.ndarray, k: int) -> str | None:
    """Which classes are separated, in words, or None. Binary: the exact test above. More
    classes: each class against the rest (then the MLE of MNLogit does not exist either).
    At least as many columns as rows: complete at once under full row rank, else the linear
    programs are posed on the rows' coordinates in the row space (:func:`row_space`), whose
    size is n x rank instead of n x p."""
    exog = np.asarray(exog, dtype=float)
    if exog.shape[1] >= exog.shape[0]:
        rank, exog = row_space(exog)
        if rank == exog.shape[0]:
            return "complete"
    if k == 2:
        found, complete = _separable(exog, np.where(np.asarray(y) == 1, 1.0, -1.0))
        if found:
            return "complete" if complete else "quasi-complete"
        return None
    for c in range(k):
        found, _ = _separable(exog, np.where(np.asarray(y) == c, 1.0, -1.0))
        if found:
            return f"quasi-complete (class {c} against the others)"
    return None


def check_wide(exog: np.ndarray, y: np.ndarray, k: int) -> None:
    """Raise before fitting a design with at least as many terms as rows (see the module
    docstring): :class:`PerfectSeparationError` under full row rank or complete separation,
    else :class:`CollinearDesignError`. Nothing for a design with fewer terms than rows."""
    n, p = np.shape(exog)
    if p < n:
        return
    rank, rows = row_space(exog)
    if rank == n:
        raise PerfectSeparationError(
            f"{p:,} terms for {n:,} rows (the design has full row rank: any labelling is "
            "fitted exactly)"
        )
    if separation(rows, y, k) == "complete":
        raise PerfectSeparationError("the features separate the classes exactly")
    raise CollinearDesignError(
        f"{p:,} terms but the design's rank is {rank:,} ({n:,} training rows), so the "
        "estimates are not identified"
    )


def _fit_result(model, point: dict, n_terms: int, k: int):
    """Fit ``model`` (Newton-type ``fit``, or ``fit_regularized`` L1 with the intercept left
    unpenalized): (statsmodels result, seconds, converged). Perfect separation raises."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

    try:
        from statsmodels.tools.sm_exceptions import PerfectSeparationWarning
    except ImportError:  # pragma: no cover - older statsmodels raise an error instead
        PerfectSeparationWarning = None

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if PerfectSeparationWarning is not None:
            warnings.simplefilter("error", PerfectSeparationWarning)
        start = time.perf_counter()
        if point["regularized"] == "l1":
            alpha = np.full(n_terms, float(point["alpha"]))
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
    converged = bool(result.mle_retvals.get("converged", True)) and not any(
        issubclass(w.category, bad) for w in caught
    )
    return result, seconds, converged


def _ml_inference(result, exog: np.ndarray, y, k: int, params, converged: bool):
    """Of a maximum-likelihood fit: (its Wald inference, one array per statistic of shape
    (k-1 classes, terms), and which separation, if any). Separation is looked for (linear
    programs) only when the estimates drift or the fit did not converge; complete separation
    raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bse = np.asarray(result.bse).reshape(params.shape)
        # estimates drifting away (or not converging) are the sign of separation; only
        # then is it worth the linear programs (seconds for many classes and rows)
        suspicious = (
            not converged
            or not np.all(np.abs(params) <= 20)
            or not np.all(np.nan_to_num(bse, nan=np.inf) <= 1e3)
        )
    separated = separation(exog, y, k) if suspicious else None
    if separated == "complete":
        raise PerfectSeparationError("the features separate the classes exactly")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z = np.asarray(result.tvalues).reshape(params.shape)
        p = np.asarray(result.pvalues).reshape(params.shape)
        ci = np.asarray(result.conf_int(alpha=0.05))
    n_terms = params.shape[0]
    if k == 2:
        ci_low, ci_high = ci[:, 0].reshape(params.shape), ci[:, 1].reshape(params.shape)
    else:  # MNLogit: rows (equation, term)
        ci_low = ci[:, 0].reshape(k - 1, n_terms).T
        ci_high = ci[:, 1].reshape(k - 1, n_terms).T
    inference = {
        "std_err": bse.T,
        "z": z.T,
        "p_value": p.T,
        "ci_low": ci_low.T,
        "ci_high": ci_high.T,
    }
    return inference, separated


#: The clock statsmodels prints in its summaries: ``Date: Wed, 02 Dec 2026`` and ``Time:
#: 18:44:21`` (``summary()``), ``Date: 2026-12-02 18:44`` (``summary2()``).
CLOCK = re.compile(
    r"Date:\s+(?:\w{3}, \d{2} \w{3} \d{4}|\d{4}-\d{2}-\d{2} \d{2}:\d{2})|Time:\s+\d{2}:\d{2}:\d{2}"
)


def without_clock(text: str) -> str:
    """A statsmodels summary without the date and time it was printed at, each blanked to
    spaces of its width (the columns stay aligned): the same fit gives the same bytes on
    any day, so one version name means one set of files wherever it is made again."""
    return CLOCK.sub(lambda m: " " * len(m.group()), text)


def _summaries(result, prepared: Prepared, l1: bool) -> tuple[str, str]:
    """statsmodels' ``summary()`` and ``summary2()`` texts (:func:`without_clock`), with the
    reference levels of the design and the note on what the standard errors are (or, for
    L1, that there are none)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yname = str(prepared.meta.get("target") or "y")
        summary = without_clock(str(result.summary(yname=yname)))
        try:
            summary2 = without_clock(str(result.summary2(yname=yname)))
        except Exception as exc:  # summary2 is unavailable for some fits; say so
            summary2 = f"summary2() is not available for this fit: {exc}"
    reference = prepared.meta.get("reference_levels") or {}
    if reference:
        chosen = prepared.meta.get("reference_chosen") or []
        note = (
            "Reference levels (left out of the design; the most frequent level of the "
            "training rows unless reference: names one): "
            + ", ".join(
                f"{c}={v}{' (named in the config)' if c in chosen else ''}"
                for c, v in reference.items()
            )
        )
        summary, summary2 = f"{summary}\n{note}\n", f"{summary2}\n{note}\n"
    if l1:
        return L1_NOTE + summary, L1_NOTE + summary2
    return f"{summary}\n{COV_NOTE}\n", f"{summary2}\n{COV_NOTE}\n"


def _stats(result) -> dict:
    """The fit's likelihood statistics."""
    return {
        "llf": float(result.llf),
        "llnull": float(result.llnull),
        "pseudo_r2": float(result.prsquared),
        "llr_pvalue": float(result.llr_pvalue),
        "aic": float(result.aic),
        "bic": float(result.bic),
    }


def fit_statsmodels(prepared: Prepared, point: dict) -> dict:
    """One statsmodels grid point: Logit (two classes) or MNLogit, by maximum likelihood or
    L1-regularized; its estimates, inference (maximum likelihood), statistics, summaries and
    predictions. A separated maximum-likelihood fit is ``status: separated``."""
    import statsmodels.api as sm

    k = prepared.n_classes
    exog = design(prepared, prepared.X_train)
    terms = list(exog.columns)
    y = np.asarray(prepared.y_train)
    l1 = point["regularized"] == "l1"
    if not l1:
        check_wide(exog.to_numpy(), y, k)
    model = (sm.Logit if k == 2 else sm.MNLogit)(y, exog)
    result, seconds, converged = _fit_result(model, point, exog.shape[1], k)
    params = np.asarray(result.params).reshape(len(terms), -1)  # (terms, k-1)
    inference, separated = (None, None)
    if not l1:
        inference, separated = _ml_inference(result, exog.to_numpy(), y, k, params, converged)
    classes = prepared.classes[1:] if k > 2 else [prepared.classes[1]]

    def proba(X):
        pr = np.asarray(result.predict(design(prepared, X)))
        return np.column_stack([1 - pr, pr]) if k == 2 else pr

    proba_train, proba_test = proba(prepared.X_train), proba(prepared.X_test)
    summary, summary2 = _summaries(result, prepared, l1)
    out = {
        "status": Status.OK,
        "converged": converged,
        "n_iter": int(result.mle_retvals.get("iterations", 0) or 0),
        "fit_seconds": seconds,
        "coef_classes": classes,
        "terms": terms,
        "estimates": params.T,
        "inference": inference,
        "stats": _stats(result),
        "summary": summary,
        "summary2": summary2,
        "pred_table": np.asarray(result.pred_table()).astype(int).tolist(),
        "pred_train": _predict(proba_train),
        "pred_test": _predict(proba_test),
        "proba_train": proba_train,
        "proba_test": proba_test,
    }
    if separated:
        out["status"] = Status.SEPARATED
        out["reason"] = (
            f"{separated} separation: some training rows are fitted with probability 0 or 1, "
            "so the maximum-likelihood estimate does not exist and its standard errors are "
            "meaningless (use a penalty or regularized: l1)"
        )
    return out


def _predict(proba: np.ndarray) -> np.ndarray:
    """Threshold 0.5 for two classes (as ``pred_table``), arg-max for more."""
    if proba.shape[1] == 2:
        return (proba[:, 1] > 0.5).astype(np.int64)
    return np.argmax(proba, axis=1).astype(np.int64)
