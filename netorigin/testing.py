"""Reusable assertions for netorigin's invariants (used by its own tests; usable by yours)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._math import floored_log

__all__ = [
    "CROSS_MACHINE_RTOL",
    "assert_same_answers",
    "machine_fingerprint",
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
    fwd = model.forward(table, reasons=True)
    assert fwd.margin_terms is not None, f"a {model.kind} model has no explainer"
    fields, contrib, base = fwd.margin_terms
    margins = model.classifier_.label_margins(fwd.inputs)  # the classifier's own, apart from the explainer
    np.testing.assert_allclose(base + contrib.sum(axis=1), margins, atol=atol, rtol=rtol)


def assert_explanation_adds_up(model, table: pd.DataFrame, target_prior=None, atol: float = 1e-6) -> None:
    """On the scale shown to clinicians: baseline + calibration + prior + the fields' terms equal
    the centred log-ratio of the displayed site probabilities, for every case and site."""
    fwd = model.forward(table, target_prior=target_prior, reasons=True)
    e, p = fwd.explanation, fwd.proba  # the reasons and the probabilities shown beside them
    assert e is not None, f"a {model.kind} model has no explainer"
    np.testing.assert_allclose(p, model.forward(table, target_prior=target_prior).proba, rtol=0, atol=1e-5)
    lp = floored_log(p)
    total = e.baseline + e.calibration + e.prior + e.terms.sum(axis=1)
    np.testing.assert_allclose(total, lp - lp.mean(axis=1, keepdims=True), rtol=0, atol=atol)


CROSS_MACHINE_RTOL = 1e-12  # floats written on another CPU or NumPy build agree to this (relative)
CROSS_MACHINE_ATOL = 1e-15  # ... or this (absolute: terms that cancel to about zero)


def machine_fingerprint() -> dict:
    """What decides a float's last bits here: the CPU, NumPy's build and the SIMD paths it
    dispatches to. Two runs with the same fingerprint give the same bits (netorigin's promise
    within one machine); across fingerprints, floats agree to :data:`CROSS_MACHINE_RTOL`."""
    import platform

    try:
        from numpy._core._multiarray_umath import __cpu_features__ as feats
    except ImportError:  # pragma: no cover - older NumPy layouts
        feats = {}
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    return {
        "machine": platform.machine(),
        "cpu": cpu,
        "numpy": np.__version__,
        "simd": sorted(k for k, v in feats.items() if v),
    }


def assert_same_answers(now, expected, *, exact: bool, where: str = "") -> None:
    """Two JSON-like answers (dicts, lists, strings, numbers) are the same: words, sets, choices
    and keys exactly; floats bit for bit when ``exact`` (one machine), else within
    :data:`CROSS_MACHINE_RTOL` relative (or :data:`CROSS_MACHINE_ATOL`); NaN equals NaN."""
    import math

    a, b = now, expected
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) and math.isnan(b):
            return
        ok = a == b if exact else math.isclose(a, b, rel_tol=CROSS_MACHINE_RTOL, abs_tol=CROSS_MACHINE_ATOL)
        assert ok, f"{where}: {a!r} != {b!r}" + ("" if exact else f" (relative tolerance {CROSS_MACHINE_RTOL:g})")
    elif isinstance(a, dict) and isinstance(b, dict):
        assert sorted(a) == sorted(b), f"{where}: keys {sorted(set(a) ^ set(b))}"
        for k in a:
            assert_same_answers(a[k], b[k], exact=exact, where=f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{where}: {len(a)} != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_answers(x, y, exact=exact, where=f"{where}[{i}]")
    else:
        assert type(a) is type(b) and a == b, f"{where}: {a!r} != {b!r}"
