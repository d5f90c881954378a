"""Why a model said what it said: per-field contributions on the log-odds scale.

For each case and site, ``base[k] + sum_f contributions[f, k] == margin[k]`` exactly, where
the margin is the model's own (uncalibrated) log-odds output, centred across the three sites
(softmax of the margins gives the model's uncalibrated probabilities). One field's pieces
(one-hot columns, its missing indicator) are summed into one contribution.

- ``xgboost``: exact TreeSHAP from xgboost itself (``pred_contribs``; identical to shap's
  TreeExplainer, tested), so scoring never imports shap.
- ``logistic``: the linear model's exact SHAP values on standardised features (mean 0).
- ``literature``: the per-field log-likelihoods, which are its exact explanation.
- ``rules``: the points each rule gave.
- ``mlp``: no exact explainer; reasons are not given.
"""

from __future__ import annotations

import numpy as np

__all__ = ["explain_margins", "EXPLAINABLE"]

EXPLAINABLE = ("xgboost", "logistic", "literature", "rules")


def _group(values: np.ndarray, feature_fields) -> tuple[list[str], np.ndarray]:
    """(n, K, F) per-feature values -> (fields, (n, n_fields, K)) summed per field."""
    fields = list(dict.fromkeys(feature_fields))
    idx = np.array([fields.index(f) for f in feature_fields])
    out = np.zeros((values.shape[0], len(fields), values.shape[1]))
    for j in range(len(fields)):
        out[:, j, :] = values[:, :, idx == j].sum(axis=2)
    return fields, out


def explain_margins(model, table, X=None):
    """(fields, contributions (n, n_fields, 3), base (n, 3), margin (n, 3)), centred across sites.

    Returns None for model kinds without an exact explainer (``mlp``). ``X``: the model's
    feature matrix for ``table`` if already computed.
    """
    kind = model.kind
    if kind not in EXPLAINABLE:
        return None
    if kind == "xgboost":
        import xgboost as xgb

        X = model.transform(table) if X is None else X
        c = model.predictor.booster.predict(xgb.DMatrix(X, missing=np.nan), pred_contribs=True)
        c = c.reshape(len(X), 3, -1)
        fields, contrib = _group(c[:, :, :-1], model.features.feature_fields_)
        base = c[:, :, -1]
    elif kind == "logistic":
        X = model.transform(table) if X is None else X
        coef = model.predictor.coef  # (3, F)
        vals = X[:, None, :] * coef[None, :, :]
        fields, contrib = _group(vals, model.features.feature_fields_)
        base = np.tile(model.predictor.intercept, (len(X), 1))
    elif kind == "literature":
        clf = model.predictor.clf
        fields, contrib = clf.field_contributions(table)
        base = np.tile(clf.log_prior_, (len(contrib), 1))
    else:  # rules
        clf = model.predictor.clf
        pts = clf.rule_points(table)
        fields, contrib = _group(np.transpose(pts, (0, 2, 1)), [r[0] for r in clf.rules_])
        base = np.tile(clf.intercept_, (len(pts), 1))
    contrib = contrib - contrib.mean(axis=2, keepdims=True)
    base = base - base.mean(axis=1, keepdims=True)
    margin = base + contrib.sum(axis=1)
    return fields, contrib, base, margin
