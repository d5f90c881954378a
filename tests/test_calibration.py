"""Calibration, deployment prior and conformal sets."""

import numpy as np
import pytest

from netorigin.calibration import ConformalSets, TemperatureScaling, resolve_prior, shift_prior
from netorigin.evaluate import expected_calibration_error
from netorigin.exceptions import InputError


def test_temperature_scaling_fixes_overconfidence():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 20000)
    margins = 4.0 * np.eye(3)[y] + rng.normal(scale=3.0, size=(20000, 3))
    raw = np.exp(margins) / np.exp(margins).sum(1, keepdims=True)
    cal = TemperatureScaling().fit(margins[:10000], y[:10000])
    before = expected_calibration_error(y[10000:], raw[10000:])
    after = expected_calibration_error(y[10000:], cal.predict_proba(margins[10000:]))
    assert after < before / 3 and after < 0.02
    again = TemperatureScaling.fitted(cal.temperature_, cal.bias_)
    assert again.predict_proba(margins[:5]) == pytest.approx(cal.predict_proba(margins[:5]))
    with pytest.raises(InputError, match="temperature"):
        TemperatureScaling.fitted(0.0, cal.bias_)
    with pytest.raises(InputError, match="temperature"):
        TemperatureScaling.fitted(float("nan"), cal.bias_)


def test_prior_shift_is_bayes_rule():
    p = np.array([[0.4, 0.4, 0.2]])
    out = shift_prior(p, np.array([0.4, 0.4, 0.2]), np.array([0.75, 0.12, 0.13]))
    expected = np.array([0.4 * 0.75 / 0.4, 0.4 * 0.12 / 0.4, 0.2 * 0.13 / 0.2])
    np.testing.assert_allclose(out[0], expected / expected.sum())


def test_resolve_prior_names_and_numbers():
    name, v = resolve_prior("unknown-primary")
    assert name == "unknown-primary" and v.tolist() == pytest.approx([0.75, 0.12, 0.13])
    assert resolve_prior("2,1,1")[1].tolist() == [0.5, 0.25, 0.25]
    assert resolve_prior("1e308,1e308,1e308")[1].tolist() == pytest.approx([1 / 3] * 3)
    for bad in ("nowhere", "1,2", "a,b,c", "-1,1,1", "0,0,0", "inf,1,1", "nan,1,1"):
        with pytest.raises(InputError, match="target prior"):
            resolve_prior(bad)


def test_class_conditional_sets_cover_every_site_even_under_label_shift():
    rng = np.random.default_rng(3)

    def draw(n, prior):
        y = rng.choice(3, size=n, p=prior)
        m = 2.0 * np.eye(3)[y] + rng.normal(scale=1.5, size=(n, 3))
        return y, np.exp(m) / np.exp(m).sum(1, keepdims=True)

    train_mix, new_mix = np.array([0.4, 0.4, 0.2]), np.array([0.75, 0.12, 0.13])
    y_cal, p_cal = draw(6000, train_mix)
    sets = ConformalSets().fit(p_cal, y_cal, train_prior=train_mix, priors={"shifted": new_mix})
    y_new, p_new = draw(20000, new_mix)  # a different site mix
    for name, p in (("training", p_new), ("shifted", shift_prior(p_new, train_mix, new_mix))):
        s = sets.predict(p, 0.9, name)
        hit = s[np.arange(len(y_new)), y_new]
        for k in range(3):
            assert hit[y_new == k].mean() >= 0.88, (name, k)
        assert s.any(axis=1).all()
    with pytest.raises(InputError, match="coverage"):
        sets.predict(p_new, 0.995)
    with pytest.raises(InputError, match="no thresholds for the site mix 'mars'"):
        sets.predict(p_new, 0.9, "mars")


def test_too_few_cases_of_a_site_fall_back_to_the_pooled_threshold():
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(200, int), np.ones(200, int), np.full(5, 2)]
    p = rng.dirichlet([1, 1, 1], size=len(y))
    sets = ConformalSets().fit(p, y)
    assert "other" in sets.marginal_sites_["training"]["0.90"] and "ileal" not in sets.marginal_sites_["training"]["0.90"]
