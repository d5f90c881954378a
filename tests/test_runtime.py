"""The start-up shadows (netorigin/_runtime) against the libraries they copy: one parity test each,
on a single row and on a batch of more than 256 rows (the size at which a second path used to take
over), with the tolerance said in the test.

- the compiled trees vs xgboost's ``predict(output_margin=True)`` and ``pred_contribs``;
- ``log_ndtr`` and ``ndtr`` vs ``scipy.special``;
- ``check_features`` vs scikit-learn's ``validate_data`` (the same array, error and warning);
- ``is_pandas_missing`` vs pandas' own ``NA`` and ``NaT``; the canonical columns of a validated case
  (:class:`~netorigin.contract.CaseColumns`) vs the pandas table, scored.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from netorigin._runtime import (
    BaseEstimator,
    check_features,
    compile_booster,
    is_pandas_missing,
    log_ndtr,
    ndtr,
)

BATCH = 1000  # more than 256 rows: several blocks of the compiled trees' margins and contributions


# ---------------------------------------------------------------- xgboost's prediction
def _booster(n_features: int = 9, seed: int = 0):
    xgb = pytest.importorskip("xgboost")
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(800, n_features)).astype(np.float32)
    X[:, 3] = np.round(X[:, 3])  # values at the thresholds
    X[rng.random(X.shape) < 0.3] = np.nan  # tests not done: default directions
    y = ((np.nan_to_num(X[:, 0]) > 0) + 2 * (np.nan_to_num(X[:, 1]) > 0.5)) % 3
    params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 2, "eta": 0.3, "base_score": 0.5}
    booster = xgb.train({**params, "seed": seed, "verbosity": 0}, xgb.DMatrix(X, label=y, missing=np.nan), 40)
    fresh = rng.normal(size=(BATCH, n_features)).astype(np.float32)
    fresh[rng.random(fresh.shape) < 0.3] = np.nan
    fresh[:200] = X[:200]
    return booster, fresh


def test_compiled_trees_equal_xgboost_on_one_row_and_on_a_batch():
    """Margins to 5e-5 and contributions to 2e-5 absolute (xgboost sums float32 leaves, the tables
    float64); each row the same bits alone as in the batch."""
    import xgboost as xgb

    booster, X = _booster()
    trees = compile_booster(booster)
    for rows in (X[:1], X):
        dm = xgb.DMatrix(rows, missing=np.nan)
        margins = booster.predict(dm, output_margin=True).reshape(len(rows), -1)
        contribs = booster.predict(dm, pred_contribs=True).reshape(len(rows), 3, -1)
        np.testing.assert_allclose(trees.margins(rows), margins, rtol=0, atol=5e-5)
        np.testing.assert_allclose(trees.contributions(rows), contribs, rtol=0, atol=2e-5)
    batch_m, batch_c = trees.margins(X), trees.contributions(X)
    for i in (0, 255, 256, 257, BATCH - 1):
        np.testing.assert_array_equal(trees.margins(X[i : i + 1])[0], batch_m[i])
        np.testing.assert_array_equal(trees.contributions(X[i : i + 1])[0], batch_c[i])


def test_the_classifier_scores_every_batch_size_with_the_compiled_trees(monkeypatch):
    """A fitted classifier's margins come from its compiled trees for one row and for a batch (xgboost
    is never asked), equal to xgboost's to 5e-5."""
    import xgboost as xgb

    from netorigin.models import XGBoostSiteClassifier

    booster, X = _booster(seed=1)
    clf = XGBoostSiteClassifier(max_depth=2).adopt(booster)
    theirs = booster.predict(xgb.DMatrix(X, missing=np.nan), output_margin=True).reshape(len(X), -1)
    monkeypatch.setattr(xgb.Booster, "predict", lambda *a, **k: pytest.fail("xgboost asked to predict"))
    for rows, ref in ((X[:1], theirs[:1]), (X, theirs)):
        np.testing.assert_allclose(clf.decision_function(rows), ref, rtol=0, atol=5e-5)


# ---------------------------------------------------------------- SciPy's normal distribution
def _normal_points() -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.r_[rng.normal(0, 10, 20_000), -1e4, -40, -37, -36.9, -8, -1, 0, 1, 8, 40, np.inf, -np.inf]


def test_log_ndtr_equals_scipy_to_1e_12_relative_alone_and_in_a_batch():
    from scipy.special import log_ndtr as scipy_log_ndtr

    x = _normal_points()
    ours, ref = log_ndtr(x), scipy_log_ndtr(x)
    finite = np.isfinite(ref) & (ref != 0)
    assert np.all(np.abs(ours[finite] - ref[finite]) <= 1e-12 * np.abs(ref[finite]))
    assert ours[-2] == 0 and ours[-1] == -np.inf
    assert float(log_ndtr(x[:1])[0]) == float(ours[0])  # one value: the same bits as in the batch
    assert np.array_equal(np.concatenate([log_ndtr(x[i : i + 7]) for i in range(0, len(x), 7)]), ours)


def test_ndtr_equals_scipy_to_1e_12_relative_alone_and_in_a_batch():
    from scipy.special import ndtr as scipy_ndtr

    x = np.clip(_normal_points(), -37, None)  # below -37 both are 0 or a denormal
    ours, ref = ndtr(x), scipy_ndtr(x)
    assert np.all(np.abs(ours - ref) <= 1e-12 * np.abs(ref))
    assert float(ndtr(x[:1])[0]) == float(ours[0])
    np.testing.assert_array_equal(ndtr(x.reshape(-1, 4)).ravel(), ours)  # any shape: the same bits


# ---------------------------------------------------------------- scikit-learn's check of X
class _Fitted(BaseEstimator):
    n_features_in_ = 4


def _theirs(estimator, X):
    from sklearn.utils.validation import validate_data

    return validate_data(estimator, X, ensure_all_finite="allow-nan", dtype=[np.float32, np.float64], reset=False)


def _outcome(check, estimator, X):
    """(array or None, (error type, message) or None, warning messages)."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            return check(estimator, X), None, [str(w.message) for w in seen]
        except (ValueError, TypeError) as e:
            return None, (type(e), str(e)), [str(w.message) for w in seen]


def _inputs() -> dict:
    rng = np.random.default_rng(0)
    big = rng.normal(size=(BATCH, 4))
    big[rng.random(big.shape) < 0.3] = np.nan
    return {
        "float64 batch": big,
        "float32 row": big[:1].astype(np.float32),
        "float16": big[:300].astype(np.float16),
        "int": rng.integers(0, 5, size=(300, 4)),
        "bool": rng.random((300, 4)) < 0.5,
        "object numbers": big[:300].astype(object),
        "numeric strings": np.array([["1", "2", "3", "4"]] * 300),
        "words": np.array([["a", "2", "3", "4"]]),
        "complex": big[:300].astype(complex),
        "infinity 64": np.where(np.arange(4) == 2, np.inf, big[:300]),
        "infinity 32": np.where(np.arange(4) == 2, -np.inf, big[:300]).astype(np.float32),
        "one dimension": big[0],
        "scalar": np.array(3.0),
        "three dimensions": big[:300].reshape(300, 2, 2),
        "no rows": big[:0],
        "no columns": big[:, :0],
        "five features": rng.normal(size=(300, 5)),
    }


@pytest.mark.parametrize("name", list(_inputs()))
def test_check_features_is_scikit_learns_check_of_a_plain_array(name):
    """The same array (values, dtype; the input itself when it needs no conversion), the same error
    (type and message) and the same warnings as ``validate_data(reset=False)``."""
    X = _inputs()[name]
    (ours, our_err, our_warn), (ref, ref_err, ref_warn) = (
        _outcome(check_features, _Fitted(), X),
        _outcome(_theirs, _Fitted(), X),
    )
    assert our_err == ref_err and our_warn == ref_warn
    if ref is not None:
        assert ours.dtype == ref.dtype and ours.shape == ref.shape
        np.testing.assert_array_equal(ours, ref)
        assert (ours is X) == (ref is X)


def test_check_features_warns_as_scikit_learn_for_a_model_fitted_with_feature_names():
    est = _Fitted()
    est.feature_names_in_ = np.array(["a", "b", "c", "d"], dtype=object)
    X = np.zeros((300, 4))
    ours, ref = _outcome(check_features, est, X), _outcome(_theirs, est, X)
    assert ours[2] == ref[2] and len(ours[2]) == 1


# ---------------------------------------------------------------- pandas
def test_pandas_missing_values_are_recognised_as_pandas_recognises_them():
    pd = pytest.importorskip("pandas")
    values = [pd.NA, pd.NaT, None, np.nan, 0, "", "NA", np.datetime64("NaT"), pd.Timestamp(0), pd.Series]
    column = (values * 30)[:300]
    ours = [is_pandas_missing(v) for v in column]
    assert ours == [v is pd.NA or v is pd.NaT for v in column]
    assert sum(ours) == 60


def test_a_cohort_as_canonical_columns_scores_as_the_pandas_table(default_model):
    """The columns a validated case is held in (NumPy arrays, no pandas) give the same answers as the
    canonical pandas table, for one case and for 300 at once: probabilities, label probabilities,
    sets and reasons bit for bit."""
    from netorigin.contract import CaseColumns
    from netorigin.inference import score_cases
    from netorigin.literature import make_synthetic_cohort, thin_cases

    table, _ = thin_cases(make_synthetic_cohort(300, random_state=4), low=1, high=12, random_state=5)
    table = table.reset_index(drop=True)
    for n in (1, len(table)):
        part = table.iloc[:n].reset_index(drop=True)
        columns = CaseColumns.edited(part, np.arange(n), [{}] * n)
        a, b = (score_cases(default_model, t, advice=False) for t in (part, columns))
        np.testing.assert_array_equal(a.proba, b.proba)
        np.testing.assert_array_equal(a.label_proba, b.label_proba)
        np.testing.assert_array_equal(a.sets, b.sets)
        assert a.explanation.fields == b.explanation.fields
        np.testing.assert_array_equal(a.explanation.terms, b.explanation.terms)


@pytest.mark.parametrize("n", [0, 1, 7, 300])
def test_unique_without_numpy_ma_equals_numpys(n):
    """The shadow of ``np.unique`` (no ``numpy.ma`` on a cold start): the same distinct values, first
    rows and groups as NumPy's, for integers and for rows of bytes, one row and batches > 256 rows."""
    from netorigin._runtime._unique import first_and_group, sorted_unique

    rng = np.random.default_rng(n)
    ints = rng.integers(0, 6, size=n).astype(np.uint64)
    np.testing.assert_array_equal(sorted_unique(ints), np.unique(ints))
    _, first, group = np.unique(ints, return_index=True, return_inverse=True)
    mine = first_and_group(ints)
    np.testing.assert_array_equal(mine[0], first)
    np.testing.assert_array_equal(mine[1], group.ravel())
    rows = rng.integers(0, 3, size=(n, 11)).astype(np.uint8)
    _, first, group = np.unique(rows, axis=0, return_index=True, return_inverse=True)
    mine = first_and_group(rows)
    np.testing.assert_array_equal(mine[0], first)
    np.testing.assert_array_equal(mine[1], group.ravel())
