"""Covariance of a maximum-likelihood logistic fit, its Wald inference, odds ratios and
average marginal effects: pure functions of the design, the labels and the estimates.

Everything here is computed from what a fit stored (its estimates) and the prepared data (the
design and the training labels), so the covariance type is a scoring setting: changing it
refits nothing (:mod:`lrsweep.score.record`).

Conventions (R's ``sandwich`` package, Zeileis 2004, 2006; ``tests/data/r_reference``):

- ``nonrobust``: the inverse of the information ``(X'WX)^-1``, ``W = diag(p(1-p))``.
- ``HC0``: the sandwich ``B M B`` with bread ``B = (X'WX)^-1`` and meat ``M = sum_i s_i s_i'``,
  ``s_i = (y_i - p_i) x_i`` the score contribution of row ``i``.
- ``HC1``: ``HC0 * n / (n - k)`` (``vcovHC(type = "HC1")``). statsmodels 0.15.0's own
  ``cov_type="HC1"`` (and HC2, HC3) on ``Logit`` return HC0: lrsweep does not use them.
- ``HC2``, ``HC3``: each ``s_i s_i'`` divided by ``1 - h_i`` or ``(1 - h_i)^2``, where ``h_i``
  are the leverages of the weighted design ``W^(1/2) X`` (``hatvalues`` of the ``glm``).
- ``cluster``: the meat sums the scores within each group, ``M = sum_g S_g S_g'``, times
  ``G/(G-1) * (N-1)/(N-K)`` (``vcovCL(type = "HC1")``, statsmodels' default correction).

For three or more classes (multinomial logit, ``MNLogit``) ``nonrobust``, ``HC0``, ``HC1`` and
``cluster`` are the same formulas on the stacked per-row scores of the k-1 equations;
leverages are not defined there, so HC2 and HC3 are refused (:func:`check_cov_type`).

Average marginal effects are ``get_margeff(at="overall", method="dydx")``: the mean over the
training rows of the derivative of each class probability with respect to each term (indicator
columns too, as a derivative), with delta-method standard errors under the chosen covariance
(the Jacobian by complex-step differentiation, exact to rounding).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster")
#: Covariance types that need the leverages of a single equation (two classes only).
LEVERAGE_TYPES = ("HC2", "HC3")
LEVEL = 0.95


def check_cov_type(cov_type: str, n_classes: int, has_groups: bool) -> str | None:
    """Why ``cov_type`` cannot be computed for this fit (None when it can)."""
    if cov_type not in COV_TYPES:
        return f"{cov_type!r} is not one of {', '.join(COV_TYPES)}"
    if cov_type in LEVERAGE_TYPES and n_classes > 2:
        return (
            f"{cov_type} needs the leverages of one equation, which a {n_classes}-class "
            "(multinomial) fit does not have: use nonrobust, HC0, HC1 or cluster"
        )
    if cov_type == "cluster" and not has_groups:
        return "cluster needs statsmodels.groups (the column that names each row's group)"
    return None


def probabilities(X: np.ndarray, params: np.ndarray) -> np.ndarray:
    """(n, J) class probabilities of a logit with ``params`` of shape (k, J-1): class 0 is the
    base (its linear predictor is 0). Works on complex ``params`` (complex step)."""
    eta = np.asarray(X) @ params
    eta = np.column_stack([np.zeros(len(eta), dtype=eta.dtype), eta])
    eta = eta - eta.real.max(axis=1, keepdims=True)  # a constant per row: the same softmax
    e = np.exp(eta)
    return e / e.sum(axis=1, keepdims=True)


def _bread_and_scores(X, y, params):
    """(bread, per-row scores (n, k(J-1)), the weights of one equation or None) at the
    estimates; scores and bread are ordered equation by equation (statsmodels' order)."""
    X = np.asarray(X, dtype=float)
    n, k = X.shape
    P = probabilities(X, params)
    J = P.shape[1]
    Y = np.eye(J)[np.asarray(y, dtype=int)]
    resid = (Y - P)[:, 1:]  # (n, J-1)
    scores = (resid[:, :, None] * X[:, None, :]).reshape(n, (J - 1) * k)
    if J == 2:
        w = P[:, 1] * P[:, 0]
        info = X.T @ (X * w[:, None])
    else:
        Q = P[:, 1:]
        info = np.zeros(((J - 1) * k, (J - 1) * k))
        for a in range(J - 1):
            for b in range(J - 1):
                wab = Q[:, a] * ((a == b) - Q[:, b])
                info[a * k : (a + 1) * k, b * k : (b + 1) * k] = X.T @ (X * wab[:, None])
        w = None
    return np.linalg.inv(info), scores, w


def covariance(X, y, params, cov_type: str = "nonrobust", groups=None) -> np.ndarray:
    """The covariance of the estimates ``params`` (k, J-1) of a logit fitted on design ``X``
    (with its constant) and class indices ``y``, in statsmodels' order (equation by equation);
    see the module docstring for each ``cov_type``."""
    params = np.asarray(params, dtype=float).reshape(np.shape(X)[1], -1)
    bread, scores, w = _bread_and_scores(X, y, params)
    if cov_type == "nonrobust":
        return bread
    n = len(scores)
    dof = bread.shape[0]  # every estimated coefficient (as sandwich's k)
    if cov_type == "cluster":
        _, codes = np.unique(np.asarray(groups), return_inverse=True)
        G = int(codes.max()) + 1
        summed = np.zeros((G, scores.shape[1]))
        np.add.at(summed, codes, scores)
        meat = summed.T @ summed
        factor = G / (G - 1) * (n - 1) / (n - dof) if G > 1 else np.nan
        return factor * bread @ meat @ bread
    if cov_type in ("HC0", "HC1"):
        meat = scores.T @ scores
        factor = 1.0 if cov_type == "HC0" else n / (n - dof)
        return factor * bread @ meat @ bread
    X = np.asarray(X, dtype=float)
    h = w * np.einsum("ij,jk,ik->i", X, bread, X)  # leverages of W^(1/2) X
    power = 1 if cov_type == "HC2" else 2
    scaled = scores / (1 - h)[:, None] ** (power / 2)
    return bread @ (scaled.T @ scaled) @ bread


def wald(estimates: np.ndarray, cov: np.ndarray, level: float = LEVEL) -> dict[str, np.ndarray]:
    """Standard errors, z, two-sided p-values and Wald intervals (as statsmodels' and R's
    ``confint.default``) of ``estimates`` (flat, in the order of ``cov``)."""
    b = np.asarray(estimates, dtype=float).ravel()
    return wald_from_se(b, np.sqrt(np.diag(cov)), level)


def wald_from_se(b: np.ndarray, se: np.ndarray, level: float = LEVEL) -> dict[str, np.ndarray]:
    """The standard errors ``se`` of ``b`` with z, two-sided p-values and Wald intervals."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = b / se
    q = stats.norm.ppf(0.5 + level / 2)
    return {
        "std_err": se,
        "z": z,
        "p_value": 2 * stats.norm.sf(np.abs(z)),
        "ci_low": b - q * se,
        "ci_high": b + q * se,
    }


def odds_ratios(inference: dict[str, np.ndarray], estimates: np.ndarray) -> dict:
    """``exp`` of the estimates and of their interval (two classes: the odds ratio of a unit
    change of the term)."""
    return {
        "odds_ratio": np.exp(np.asarray(estimates, dtype=float).ravel()),
        "odds_ratio_ci_low": np.exp(inference["ci_low"]),
        "odds_ratio_ci_high": np.exp(inference["ci_high"]),
    }


def average_marginal_effects(X, params) -> np.ndarray:
    """(J, k) mean over the rows of ``X`` of ``dP(class c) / dx_j`` (every class for three or
    more; for two classes only the positive class is returned, as a (1, k) array)."""
    X = np.asarray(X)
    params = np.asarray(params).reshape(X.shape[1], -1)
    P = probabilities(X, params)  # (n, J)
    full = np.column_stack([np.zeros(params.shape[0], dtype=params.dtype), params])  # (k, J)
    mean_beta = P @ full.T  # (n, k): sum_l P_l beta_lj
    effects = P[:, :, None] * (full.T[None, :, :] - mean_beta[:, None, :])  # (n, J, k)
    ame = effects.mean(axis=0)
    return ame[1:] if P.shape[1] == 2 else ame


def marginal_effects(X, params, cov: np.ndarray, level: float = LEVEL) -> dict[str, np.ndarray]:
    """The average marginal effects (:func:`average_marginal_effects`) and their delta-method
    standard errors, z, p-values and intervals under ``cov`` (the covariance of ``params`` in
    statsmodels' order). Arrays of shape (classes, k); column 0 is the intercept (left out of
    the table by the caller)."""
    X = np.asarray(X, dtype=float)
    k = X.shape[1]
    params = np.asarray(params, dtype=float).reshape(k, -1)
    ame = average_marginal_effects(X, params)
    flat = params.T.ravel()  # statsmodels' order: equation by equation
    step = 1e-20
    jac = np.empty((ame.size, flat.size))
    for m in range(flat.size):
        shifted = flat.astype(complex)
        shifted[m] += 1j * step
        jac[:, m] = average_marginal_effects(X, shifted.reshape(-1, k).T).imag.ravel() / step
    se = np.sqrt(np.einsum("ij,jk,ik->i", jac, cov, jac)).reshape(ame.shape)
    return {"effect": ame, **wald_from_se(ame, se, level)}


def reference_of(term: str, reference: dict) -> str:
    """The left-out level a design term is measured against (``column=level`` terms of a
    categorical column), as ``column=level``; empty for other terms."""
    for column, level in reference.items():
        if term.startswith(f"{column}="):
            return f"{column}={level}"
    return ""


def inference_tables(
    X,
    y,
    estimates,
    terms: list[str],
    classes: dict,
    class_names: dict,
    cov_type_list: list[str],
    groups=None,
    reference: dict | None = None,
) -> tuple[list[dict], list[dict]]:
    """(coefficient rows, marginal-effect rows) of a maximum-likelihood fit, one block per
    covariance type. ``estimates`` (equations, terms) as a fit stores them; ``classes``:
    ``equations``, the class of each equation (the second class for two classes, every class
    but the first for more), and ``all``, every class (the marginal effects of three or more
    classes cover each)."""
    estimates = np.asarray(estimates, dtype=float)
    params = estimates.T  # (k, J-1)
    binary = estimates.shape[0] == 1
    reference = reference or {}
    coef_rows, me_rows = [], []
    for cov_type in cov_type_list:
        V = covariance(X, y, params, cov_type, groups)
        inf = wald(estimates.ravel(), V)
        if binary:
            inf.update(odds_ratios(inf, estimates.ravel()))
        for i, cls in enumerate(classes["equations"]):
            for j, term in enumerate(terms):
                m = i * len(terms) + j
                row = {
                    "class": cls,
                    "term": term,
                    "estimate": float(estimates[i, j]),
                    "cov_type": cov_type,
                    **{name: float(values[m]) for name, values in inf.items()},
                    "reference": reference_of(term, reference),
                    "class_name": class_names.get(cls, str(cls)),
                }
                coef_rows.append(row)
        me = marginal_effects(X, params, V)
        me_classes = classes["equations"] if binary else classes["all"]
        for i, cls in enumerate(me_classes):
            for j, term in enumerate(terms):
                if j == 0:
                    continue  # the intercept has no marginal effect
                me_rows.append(
                    {
                        "class": cls,
                        "term": term,
                        "cov_type": cov_type,
                        "marginal_effect": float(me["effect"][i, j]),
                        **{
                            name: float(me[name][i, j])
                            for name in ("std_err", "z", "p_value", "ci_low", "ci_high")
                        },
                        "class_name": class_names.get(cls, str(cls)),
                    }
                )
    return coef_rows, me_rows


def check_cov_types(experiment: str, cov_type_list, n_classes: int, has_groups: bool) -> None:
    """Refuse, in one line, a covariance type this experiment's fits cannot have."""
    from lrsweep.prepare.data import err

    for cov_type in cov_type_list or ():
        reason = check_cov_type(cov_type, n_classes, has_groups)
        if reason:
            raise err(experiment, "statsmodels.cov_type", reason)
