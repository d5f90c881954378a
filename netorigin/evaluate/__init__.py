"""Metrics with bootstrap intervals, calibration error, conformal coverage, risk-coverage and
robustness, computed from labels and predicted probabilities (nothing is typed in); models compared
on the same cases with paired intervals."""

from ._bootstrap import PatientBootstrap
from ._compare import compare_models
from ._compare_result import Comparison
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
from ._sites import MAX_BOOTSTRAP, check_bootstrap

__all__ = [
    "Comparison",
    "MAX_BOOTSTRAP",
    "PatientBootstrap",
    "compare_models",
    "SCALAR_METRICS",
    "WORKUP_TIERS",
    "bootstrap_intervals",
    "check_bootstrap",
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
