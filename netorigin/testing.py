"""Reusable assertions for netorigin's invariants (used by its own tests; usable by yours)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "assert_explanation_adds_up",
    "assert_explanation_sums_to_margin",
    "assert_probabilities",
    "assert_same_alone_and_in_batch",
]


def assert_same_alone_and_in_batch(transform, table: pd.DataFrame, rows=None, atol: float = 0.0) -> None:
    """``transform(one-row table)`` equals the matching row of ``transform(table)``: bit for bit
    by default, or within ``atol`` (for third-party BLAS code whose rounding depends on batch size)."""
    batch = np.asarray(transform(table))
    for i in range(len(table)) if rows is None else rows:
        alone = np.asarray(transform(table.iloc[[i]].reset_index(drop=True)))
        if atol:
            np.testing.assert_allclose(
                alone[0], batch[i], rtol=0, atol=atol, err_msg=f"row {i} differs alone vs in batch"
            )
        else:
            np.testing.assert_array_equal(alone[0], batch[i], err_msg=f"row {i} differs alone vs in batch")


def assert_probabilities(p, n_classes: int | None = None, atol: float = 1e-9) -> None:
    """Rows of ``p`` are finite, within [0, 1] and sum to 1."""
    p = np.asarray(p, dtype=float)
    assert p.ndim == 2, f"expected a 2-d array of probabilities, got shape {p.shape}"
    if n_classes is not None:
        assert p.shape[1] == n_classes, f"expected {n_classes} columns, got {p.shape[1]}"
    assert np.all(np.isfinite(p)), "probabilities contain NaN or infinity"
    assert np.all((p >= -atol) & (p <= 1 + atol)), "probabilities outside [0, 1]"
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-6)


def assert_explanation_sums_to_margin(model, table: pd.DataFrame, atol: float = 1e-5, rtol: float = 1e-5) -> None:
    """On the margin scale: for every case and label, the explainer's base plus its field
    contributions equals the classifier's own margin (within float32 rounding: xgboost computes
    contributions and predictions in single precision by different routines)."""
    terms = model.forward(table, reasons=True).margin_terms
    assert terms is not None, f"a {model.kind} model has no explainer"
    fields, contrib, base = terms
    np.testing.assert_allclose(base + contrib.sum(axis=1), model.decision_function(table), atol=atol, rtol=rtol)


def assert_explanation_adds_up(model, table: pd.DataFrame, target_prior=None, atol: float = 1e-6) -> None:
    """On the scale shown to clinicians: baseline + calibration + prior + the fields' terms equal
    the centred log-ratio of the displayed site probabilities, for every case and site."""
    fwd = model.forward(table, target_prior=target_prior, reasons=True)
    e, p = fwd.explanation, fwd.proba  # the reasons and the probabilities shown beside them
    assert e is not None, f"a {model.kind} model has no explainer"
    np.testing.assert_allclose(p, model.predict_proba(table, target_prior=target_prior), rtol=0, atol=1e-5)
    lp = np.log(np.maximum(p, 1e-300))
    total = e.baseline + e.calibration + e.prior + e.terms.sum(axis=1)
    np.testing.assert_allclose(total, lp - lp.mean(axis=1, keepdims=True), rtol=0, atol=atol)
