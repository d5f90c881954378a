"""Metrics, bootstrap intervals and risk-coverage, computed from labels and probabilities."""

import numpy as np

from netorigin.evaluate import bootstrap_intervals, expected_calibration_error, risk_coverage, site_metrics


def _data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    m = 1.5 * np.eye(3)[y] + rng.normal(size=(n, 3))
    return y, np.exp(m) / np.exp(m).sum(1, keepdims=True)


def test_patient_bootstrap_resamples_whole_patients():
    y, p = _data()
    y, p = np.repeat(y, 2), np.repeat(p, 2, axis=0)  # every patient has two identical samples
    groups = np.repeat(np.arange(600), 2)
    by_case = bootstrap_intervals(y, p, n_bootstrap=200, random_state=1)
    by_patient = bootstrap_intervals(y, p, n_bootstrap=200, random_state=1, groups=groups)
    acc = site_metrics(y, p)["accuracy"]
    assert by_patient["accuracy"][0] <= acc <= by_patient["accuracy"][1]
    width = lambda ci: ci[1] - ci[0]  # noqa: E731
    # duplicated samples are not independent: the honest interval is wider
    assert width(by_patient["accuracy"]) > 1.2 * width(by_case["accuracy"])


def test_perfect_and_uninformative_predictions():
    y = np.array([0, 1, 2, 0])
    perfect = np.eye(3)[y]
    m = site_metrics(y, perfect)
    assert m["accuracy"] == 1 and m["macro_auc"] == 1 and m["brier"] == 0
    assert expected_calibration_error(y, perfect) == 0
    flat = np.full((4, 3), 1 / 3)
    assert site_metrics(y, flat)["log_loss"] == np.log(3)


def test_abstaining_on_the_least_confident_cases_raises_accuracy():
    y, p = _data(seed=3)
    curve = risk_coverage(y, p)
    assert curve[0]["coverage"] == 1.0 and curve[0]["n"] == len(y)
    assert curve[-1]["accuracy"] > curve[0]["accuracy"]
