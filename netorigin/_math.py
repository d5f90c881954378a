"""Small numeric helpers shared by every layer (one softmax for the whole package)."""

from __future__ import annotations

import numpy as np


def log_softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax, stable for large margins.

    >>> np.round(np.exp(log_softmax(np.array([[0.0, 0.0]]))), 3).tolist()
    [[0.5, 0.5]]
    """
    z = np.asarray(z, dtype=float)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def safe_log(w) -> np.ndarray:
    """log of non-negative weights, -inf where a weight is 0, without a warning.

    >>> safe_log(np.array([1.0, 0.0])).tolist()
    [0.0, -inf]
    """
    w = np.asarray(w, dtype=float)
    return np.where(w > 0, np.log(np.where(w > 0, w, 1.0)), -np.inf)


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    return np.exp(log_softmax(z))


def binned_ece(y: np.ndarray, proba: np.ndarray, n_bins: int = 10) -> float:
    """Top-label ECE: mean |confidence - accuracy| over equal-width confidence bins, weighted
    (:func:`netorigin.training.expected_calibration_error`; here for the layers below it)."""
    conf, pred = proba.max(axis=1), proba.argmax(axis=1)
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        m = bins == b
        if m.any():
            ece += m.mean() * abs(conf[m].mean() - (pred[m] == y[m]).mean())
    return float(ece)


def logsumexp(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """log(sum(exp(z))) along ``axis``, stable; -inf where every term is -inf.

    >>> float(logsumexp(np.array([0.0, 0.0])).round(6)), float(logsumexp(np.array([-np.inf, -np.inf])))
    (0.693147, -inf)
    """
    z = np.asarray(z, dtype=float)
    top = np.max(z, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.exp(z - top).sum(axis=axis, keepdims=True)) + top
    return np.squeeze(out, axis=axis)
