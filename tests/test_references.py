"""The statistics checked against outside references (issue 33, item 5): EM on the literature's
cells against a textbook EM written here and against StepMix (the literature's weight -> 0), the
prediction sets against crepes' Mondrian conformal classifier, the temperature against
scikit-learn's; EM's convergence warning and its objective; the literature weight's folds by patient.

Figures measured when these tests were written (3,000 cases, 6 binary findings, 2 latent cells):
log-likelihood per case within 2e-13 of the textbook EM and 9e-13 of StepMix's best of 10 starts,
rates and shares within 4e-7; sets identical to crepes' on 12,000 decisions at three levels; one
temperature within 4e-7 (relative) of scikit-learn's without the prior, 9e-4 with it."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning

import netorigin.estimator._temperature as temperature_module
import netorigin.literature._fit as fit_module
import netorigin.models._latent as latent_module
from netorigin._math import logsumexp, softmax
from netorigin.contract import as_canonical
from netorigin.estimator import ConformalSets
from netorigin.estimator._conformal import mass_sets
from netorigin.estimator._temperature import TemperatureScaling
from netorigin.literature import Literature, default_literature, fit_cells, label_log_joint, make_synthetic_cohort
from netorigin.literature._cells import BINARY
from netorigin.literature._objective import FALL_TOL, EMRun
from netorigin.models._latent import LatentClassSiteClassifier
from netorigin.models._weight_folds import weight_folds

# ---------------------------------------------------------------- a latent-class problem netorigin's EM also is
FINDINGS = [b for b in BINARY if b[0] != "carcinoid_syndrome"]  # (field, value rated, other); the syndrome is fixed
CELLS = ("syndromic", "quiet")  # the ileum's two phenotype cells: latent within the label "ileum"
TRUE_SHARE = np.array([0.35, 0.65])
TRUE_RATES = np.array([[0.8, 0.2, 0.7, 0.3, 0.9, 0.15], [0.3, 0.7, 0.2, 0.6, 0.4, 0.75]])
WEIGHT = 1e-9  # the literature's pseudo-counts: 2e-8 cases a figure, nothing beside 3,000 cases


def _literature() -> Literature:
    """The literature with every finding's rate free in each of the ileum's cells (start: 0.6 / 0.4)."""
    lit = default_literature()
    params = {f"rate:{f}={v}" for f, v, _ in FINDINGS}
    rows = [r for r in lit.parameter_rows if not (r["parameter"] in params and r["site"].startswith("ileum/"))]
    for p in sorted(params):
        for c, start in zip(CELLS, (0.6, 0.4)):
            rows.append({**rows[0], "parameter": p, "site": f"ileum/{c}", "value": start, "n_eff": "20"})
    return Literature.from_tables(rows, lit.scenario_rows)


def _cohort(n: int, seed: int):
    rng = np.random.default_rng(seed)
    z = rng.choice(2, size=n, p=TRUE_SHARE)
    X = (rng.random((n, len(FINDINGS))) < TRUE_RATES[z]).astype(int)
    table = pd.DataFrame({f: np.where(X[:, j] == 1, v, o) for j, (f, v, o) in enumerate(FINDINGS)})
    return X, as_canonical(table)


def _loglik(X, share, rates) -> float:
    """Mean log-likelihood per case of a latent-class model of independent binary findings."""
    L = np.log(share)[None, :] + X @ np.log(rates).T + (1 - X) @ np.log(1 - rates).T
    return float(logsumexp(L, axis=1).mean())


def _textbook_em(X, share, rates, tol=1e-13, max_iter=100_000):
    """EM for latent classes of independent binary findings (Goodman 1974), written for this test."""
    before = -np.inf
    for _ in range(max_iter):
        L = np.log(share)[None, :] + X @ np.log(rates).T + (1 - X) @ np.log(1 - rates).T
        R = np.exp(L - logsumexp(L, axis=1)[:, None])  # E: each case's class probabilities
        share, rates = R.mean(axis=0), (R.T @ X) / R.sum(axis=0)[:, None]  # M: weighted shares and rates
        now = _loglik(X, share, rates)
        assert now >= before - 1e-12  # EM never lowers the likelihood
        if now - before < tol:
            break
        before = now
    return share, rates, now


@pytest.fixture(scope="module")
def latent_problem():
    X, table = _cohort(3000, 0)
    labels = np.array(["ileum"] * len(X), dtype=object)
    fit = fit_cells(table, labels, level="subsite", literature=_literature(), weight=WEIGHT, tol=1e-9, max_iter=3000)
    m = fit.model
    j = [m.cells.index(("ileal", "ileum", c)) for c in CELLS]
    share = m.phenotype_weight[j]  # the label's cells share one sub-site share: the phenotypes' are the classes'
    rates = np.array([[m[f"rate:{f}={v}"][i] for f, v, _ in FINDINGS] for i in j])
    return X, table, fit, share, rates


def test_em_on_the_cells_reaches_the_textbook_em_s_maximum(latent_problem):
    X, table, fit, share, rates = latent_problem
    assert fit.converged and fit.objective_fall < 1e-12
    ref_share, ref_rates, ref_ll = _textbook_em(X, np.array([0.5, 0.5]), np.array([[0.6] * 6, [0.4] * 6]))
    assert abs(_loglik(X, share, rates) - ref_ll) < 1e-9  # measured 2e-13
    np.testing.assert_allclose(rates, ref_rates, atol=1e-5)  # measured 3e-7 (both stop at their tolerance)
    np.testing.assert_allclose(share, ref_share, atol=1e-5)
    np.testing.assert_allclose(rates, TRUE_RATES, atol=0.05)  # and it is the world the cases came from
    # netorigin's own likelihood of the label is the textbook's at its fitted values
    own = label_log_joint(fit, table, ["ileum"], "subsite").mean()
    assert abs(own - _loglik(X, share, rates)) < 1e-10


def test_em_on_the_cells_reaches_stepmix_s_best_maximum(latent_problem):
    from stepmix import StepMix

    X, _, _, share, rates = latent_problem
    sm = StepMix(n_components=2, measurement="binary", n_init=10, random_state=0, abs_tol=1e-12, max_iter=5000)
    sm.set_params(verbose=0, progress_bar=0)
    sm.fit(X)
    assert abs(sm.score(X) - _loglik(X, share, rates)) < 1e-9  # measured 9e-13
    got = sm.get_parameters()
    order = np.argsort(-got["measurement"]["pis"][:, 0])  # StepMix's classes in our cells' order (label switching)
    np.testing.assert_allclose(got["measurement"]["pis"][order], rates, atol=1e-5)
    np.testing.assert_allclose(got["weights"][order], share, atol=1e-5)


# ---------------------------------------------------------------- EM's objective and convergence
def test_em_warns_when_it_stops_before_converging():
    X, table = _cohort(500, 1)
    labels = np.array(["ileum"] * len(X), dtype=object)
    with pytest.warns(ConvergenceWarning, match=r"stopped after 3 steps .* tolerance 1e-09"):
        fit = fit_cells(table, labels, level="subsite", literature=_literature(), weight=WEIGHT, tol=1e-9, max_iter=3)
    assert not fit.converged and fit.iterations == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fit_cells(table, labels, level="subsite", literature=_literature(), weight=WEIGHT).converged


@pytest.fixture(scope="module")
def cohort_without_folds():
    c = make_synthetic_cohort(300, scenario="training-mix", random_state=4, workup="mixture")
    return c.drop(columns=["serum_cga_x_uln", "urine_5hiaa_x_uln"])  # every M-step update then exact


def test_no_em_step_lowers_the_log_posterior_and_the_trace_is_kept(cohort_without_folds):
    c = cohort_without_folds
    for weight, level, col in ((0.05, "subsite", "primary_site_detail"), (1.0, "site", "primary_site")):
        fit = fit_cells(c, c[col].astype(object).to_numpy(), level=level, weight=weight)
        assert fit.objective_fall < 1e-9, (weight, fit.objective_fall)  # measured below -1e-10: it always rose
        assert len(fit.objective) == len(fit.history) >= 2
        assert fit.objective[-1] > fit.objective[0]
        # the objective is the log-likelihood plus the prior's log density, which moves with the values
        gap = np.array(fit.objective) - np.array(fit.history)
        assert np.all(gap != 0) and np.ptp(gap) > 0


def test_a_log_posterior_that_falls_is_a_bug_and_raises(cohort_without_folds, monkeypatch):
    c = cohort_without_folds

    class Falling:
        calls = 0

        def __init__(self, *args):
            pass

        def __call__(self, values, shares):
            Falling.calls += 1
            return -1e3 * Falling.calls  # a prior that falls by more than the likelihood can climb

    monkeypatch.setattr(fit_module, "LogPrior", Falling)
    with pytest.raises(RuntimeError, match="fell by .* this is a bug"):
        fit_cells(c, c["primary_site"].astype(object).to_numpy(), level="site", weight=1.0)
    run = EMRun(np.zeros(1))
    run.record(-1.0, -1.0, None)
    run.record(None, -1.0 - 3 * FALL_TOL, -1.0)
    assert run.fall == pytest.approx(3 * FALL_TOL)
    run.check(exact=False)  # an approximate M-step (a fold of ULN recorded): kept, not raised
    with pytest.raises(RuntimeError):
        run.check(exact=True)


# ---------------------------------------------------------------- the literature weight's folds, by patient
def test_the_weight_folds_keep_a_patient_s_cases_together():
    rng = np.random.default_rng(0)
    labels = rng.choice(np.array(["ileum", "pancreas", "lung", "rectum"], dtype=object), size=400)
    groups = rng.integers(0, 150, size=400).astype(str)  # patients of 1 to 8 cases
    fold = weight_folds(labels, 3, groups, random_state=0)
    assert pd.Series(fold).groupby(groups).nunique().max() == 1
    assert sorted(np.unique(fold)) == [0, 1, 2]
    for lab in np.unique(labels):  # still stratified: each label in every fold
        assert len(np.unique(fold[labels == lab])) == 3
    # one case per patient: the folds the weight was always chosen by (the shipped models' unchanged)
    np.testing.assert_array_equal(
        weight_folds(labels, 3, np.arange(400), random_state=0), weight_folds(labels, 3, None, random_state=0)
    )


def test_the_latent_class_kind_chooses_its_weight_on_folds_by_patient(monkeypatch):
    from netorigin.estimator import SiteModel

    seen = []

    def spy(labels, n_folds, groups=None, random_state=None):
        fold = weight_folds(labels, n_folds, groups, random_state)
        seen.append((groups, fold))
        return fold

    monkeypatch.setattr(latent_module, "weight_folds", spy)
    c = make_synthetic_cohort(120, scenario="training-mix", random_state=3, workup="mixture")
    patients = np.repeat(np.arange(60), 2).astype(str)  # two cases a patient
    SiteModel(kind="latent-class", cv=2, random_state=0).fit(c, c["primary_site"], groups=patients)
    assert len(seen) == 3  # two cross-fitting folds and the final fit
    for groups, fold in seen:
        assert groups is not None and len(np.unique(groups)) == len(groups) // 2
        assert pd.Series(fold).groupby(groups).nunique().max() == 1  # no patient straddles two folds
    seen.clear()
    codes = c["primary_site"].cat.codes.to_numpy()
    LatentClassSiteClassifier(literature_weight="cv", random_state=0).fit(c, codes, groups=patients)
    assert pd.Series(seen[0][1]).groupby(patients).nunique().max() == 1


# ---------------------------------------------------------------- the sets against crepes
def test_the_sets_are_crepes_mondrian_sets_one_stratum_per_site():
    from crepes import ConformalClassifier

    rng = np.random.default_rng(0)

    def cases(n):
        y = rng.integers(0, 3, n)
        return softmax(4.0 * (np.eye(3)[y] + rng.normal(size=(n, 3)) * 1.2)), y  # over-confident

    p_cal, y_cal = cases(1501)
    p_test, _ = cases(4000)
    sets = ConformalSets().fit(p_cal, y_cal, label_site=np.arange(3))  # one stratum; the training prior
    ones = np.ones(3)
    P_cal = sets.cal_proba_.astype(float)  # the probabilities the sets keep (float32) ...
    P_cal /= P_cal.sum(axis=1, keepdims=True)  # ... shifted by the training prior (multipliers of 1)
    for level in (0.8, 0.9, 0.95):
        for k in range(3):  # crepes' p >= 1 - level and the (n + 1) level-th score part only at a whole product
            assert abs(((y_cal == k).sum() + 1) * level % 1 - 0.5) < 0.49

        def score(P, level=level):  # netorigin's nonconformity: 0 where the probability mass already holds the site
            return np.where(mass_sets(P, level) | (P > 1 - level), 0.0, 1.0 - P)

        cc = ConformalClassifier().fit(score(P_cal)[np.arange(len(y_cal)), y_cal], bins=y_cal)
        a = score(p_test)
        ref = np.stack(
            [
                cc.predict_set(a[:, [k]], bins=np.full(len(a), k), confidence=level, smoothing=False)[:, 0]
                for k in range(3)
            ],
            axis=1,
        ).astype(bool)
        reasons = sets.reasons(p_test, level, ones)
        np.testing.assert_array_equal((reasons == "holds") | (reasons == "kept"), ref)
        assert sets.thresholds(ones, level)[0].min() > 0  # the conformal part decides (not only the mass)
        # netorigin's one addition: a site more probable than one the set keeps ("above")
        above = reasons == "above"
        least = np.where(ref, p_test, np.inf).min(axis=1, keepdims=True)
        assert np.all(p_test[above] >= np.broadcast_to(least, p_test.shape)[above])
        np.testing.assert_array_equal(reasons != "", ref | above)


# ---------------------------------------------------------------- the temperature against scikit-learn's
class _Margins(ClassifierMixin, BaseEstimator):
    """A 'classifier' whose decision function is its input: the held-out margins."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return self.classes_[np.argmax(X, axis=1)]

    def decision_function(self, X):
        return np.asarray(X, dtype=float)


def test_one_temperature_is_scikit_learn_s_where_the_objectives_coincide(monkeypatch):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 1000)
    m = 3.0 * np.eye(3)[y] + rng.normal(size=(1000, 3)) * 2
    # every case with its labels rotated: the best biases are 0, and scikit-learn fits none
    M = np.concatenate([np.roll(m, k, axis=1) for k in range(3)])
    Y = np.concatenate([(y + k) % 3 for k in range(3)])
    sk = CalibratedClassifierCV(FrozenEstimator(_Margins().fit(M, Y)), method="temperature").fit(M, Y)
    t_sk = 1 / float(sk.calibrated_classifiers_[0].calibrators[0].beta_)
    ours = TemperatureScaling(per_label=False).fit(M, Y)
    # as shipped, log T has a N(0, 0.5^2) prior: T is drawn towards 1 by about 1e-3 at 3,000 cases
    assert 1 < ours.temperature_[0] < t_sk and ours.temperature_[0] / t_sk - 1 > -3e-3  # measured -9e-4
    monkeypatch.setattr(temperature_module, "PRIOR_SD", math.inf)  # the same objective: no prior
    ours = TemperatureScaling(per_label=False).fit(M, Y)
    np.testing.assert_allclose(ours.bias_, 0, atol=1e-6)
    assert abs(ours.temperature_[0] / t_sk - 1) < 1e-5  # measured 4e-7 (the optimisers' tolerances)
    np.testing.assert_allclose(ours.predict_proba(M), sk.predict_proba(M), atol=1e-6)  # measured 1.2e-7
