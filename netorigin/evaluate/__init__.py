"""Metrics with bootstrap intervals, calibration error, conformal coverage, risk-coverage and
robustness, computed from labels and predicted probabilities (nothing is typed in)."""

from ._metrics import (
    SCALAR_METRICS,
    bootstrap_intervals,
    debiased_ece,
    evaluate_model,
    evaluate_probabilities,
    expected_calibration_error,
    metrics_by_information,
    site_metrics,
)
from ._sets import WORKUP_TIERS, proportion_interval, risk_coverage, robustness, set_metrics

__all__ = [
    "SCALAR_METRICS",
    "WORKUP_TIERS",
    "bootstrap_intervals",
    "debiased_ece",
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
