"""Small numeric helpers shared by every layer: the package's one log-sum-exp, softmax and floored
log (tests/test_one_home.py keeps a second copy from appearing elsewhere)."""

from __future__ import annotations

import numpy as np

LOG_FLOOR = 1e-300  # the one floor of a floored log: a probability or weight this small counts as this
# (log 1e-300 = -690.8, finite; a weight of exactly 0 that must give -inf takes safe_log instead)
LOSS_FLOOR = 1e-15  # a log-loss counts a true class's probability as at least this (scikit-learn's old
# eps): one case costs at most 34.5. Not LOG_FLOOR: the shipped model gives a true class < 1e-15 in
# about 1 synthetic case in 20,000 (6e-17 the least), and the reported log-losses would move


def floored_log(x) -> np.ndarray:
    """log(max(x, :data:`LOG_FLOOR`)): finite for a probability or weight that underflowed to 0.

    >>> floored_log(np.array([1.0, 0.0])).round(1).tolist()
    [0.0, -690.8]
    """
    return np.log(np.maximum(x, LOG_FLOOR))


def log_loss_terms(proba, y) -> np.ndarray:
    """Each case's log-loss: -log of the probability ``proba`` (n, classes) gives its class ``y``
    (or, for one mix over classes (classes,), the mix's share of it), that probability counted
    within [:data:`LOSS_FLOOR`, 1].

    >>> log_loss_terms(np.array([[0.5, 0.5], [1.0, 0.0]]), [0, 1]).round(3).tolist()
    [0.693, 34.539]
    """
    p, y = np.asarray(proba, dtype=float), np.asarray(y, dtype=int)
    p_true = p[np.arange(len(y)), y] if p.ndim == 2 else p[y]
    return -floored_log(np.clip(p_true, LOSS_FLOOR, 1.0))


def safe_log(w) -> np.ndarray:
    """log of non-negative weights, -inf where a weight is 0, without a warning.

    >>> safe_log(np.array([1.0, 0.0])).tolist()
    [0.0, -inf]
    """
    w = np.asarray(w, dtype=float)
    return np.where(w > 0, np.log(np.where(w > 0, w, 1.0)), -np.inf)


def _shifted(z, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """(z less its largest entry along ``axis``, that largest entry; 0 where it is not finite),
    with ``axis`` moved last and each row C-contiguous: NumPy then sums every row in the same order
    (pairwise), so a case's sum has the same bits alone or in a batch."""
    z = np.ascontiguousarray(np.moveaxis(np.asarray(z, dtype=float), axis, -1))
    top = z.max(axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return z - top, top


def logsumexp(z, axis: int = -1) -> np.ndarray:
    """log(sum(exp(z))) along ``axis``, stable; -inf where every term is -inf.

    >>> float(logsumexp(np.array([0.0, 0.0])).round(6)), float(logsumexp(np.array([-np.inf, -np.inf])))
    (0.693147, -inf)
    """
    s, top = _shifted(z, axis)
    with np.errstate(divide="ignore"):
        return (np.log(np.exp(s).sum(axis=-1, keepdims=True)) + top)[..., 0]


def log_softmax(z, axis: int = -1) -> np.ndarray:
    """log-softmax along ``axis`` (each row of a 2-d array by default), stable for large margins.

    >>> np.round(np.exp(log_softmax(np.array([[0.0, 0.0]]))), 3).tolist()
    [[0.5, 0.5]]
    """
    s, _ = _shifted(z, axis)
    return np.moveaxis(s - np.log(np.exp(s).sum(axis=-1, keepdims=True)), -1, axis)


def softmax(z, axis: int = -1) -> np.ndarray:
    """softmax along ``axis`` (each row of a 2-d array by default), stable for large margins.

    >>> softmax(np.array([[0.0, np.log(3.0)]])).round(3).tolist()
    [[0.25, 0.75]]
    """
    s, _ = _shifted(z, axis)
    e = np.exp(s)
    return np.moveaxis(e / e.sum(axis=-1, keepdims=True), -1, axis)


def softmax_within(z: np.ndarray, group: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``scale[:, g] x`` the softmax of each row of ``z`` over the columns of its group ``g``
    (``group``: each column's group, sorted, so that a group's columns stand together).

    >>> softmax_within(np.zeros((1, 3)), np.array([0, 1, 1]), np.array([[1.0, 0.5]])).tolist()
    [[1.0, 0.25, 0.25]]
    """
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    block = np.cumsum(np.r_[False, group[1:] != group[:-1]])  # each column's block
    e = np.exp(z - np.maximum.reduceat(z, starts, axis=1)[:, block])
    return scale[:, group] * e / np.add.reduceat(e, starts, axis=1)[:, block]


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
