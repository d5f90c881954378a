"""Metrics with bootstrap intervals, calibration error, conformal coverage, risk-coverage and
robustness, computed from labels and predicted probabilities (nothing is typed in)."""

from ._metrics import (
    SCALAR_METRICS,
    WORKUP_TIERS,
    bootstrap_intervals,
    evaluate_model,
    evaluate_probabilities,
    expected_calibration_error,
    metrics_by_information,
    proportion_interval,
    risk_coverage,
    robustness,
    set_metrics,
    site_metrics,
)
from ._sites import MAX_BOOTSTRAP, check_bootstrap

__all__ = [
    "MAX_BOOTSTRAP",
    "SCALAR_METRICS",
    "WORKUP_TIERS",
    "bootstrap_intervals",
    "check_bootstrap",
    "evaluate_model",
    "evaluate_probabilities",
    "expected_calibration_error",
    "metrics_by_information",
    "proportion_interval",
    "risk_coverage",
    "robustness",
    "set_metrics",
    "site_metrics",
]
