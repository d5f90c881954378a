"""A registry of checks for estimators that read a case *table* (a DataFrame), run over every
registered kind, as scikit-survival runs its own over its survival estimators (scikit-learn's
``parametrize_with_checks`` covers the numeric face: tests/test_models.py).

Each check fits :class:`SiteModel` on a small cohort and asserts one promise of the protocol:
a clone fits to the same model; ``set_params`` then ``fit`` equals a model built with those
parameters; the order of the columns changes nothing; fitting twice changes nothing; a wrong
parameter is refused by name before any work. Equality is bit-exact (one machine, one process).
The fast tier runs every refusal and one fitting check; the slow tier, every check on every kind.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import TINY
from sklearn.base import clone

from netorigin.estimator import SiteModel
from netorigin.exceptions import InputError
from netorigin.literature import make_synthetic_cohort
from netorigin.models import MODEL_KINDS

CHECKS = []


def check(fn):
    """Register ``fn(kind, cohort)`` as a check every kind must pass."""
    CHECKS.append(fn)
    return fn


@pytest.fixture(scope="module")
def cohort():
    c = make_synthetic_cohort(600, scenario="liver-met-archive", random_state=11)
    return c.drop(columns=["primary_site"]), c["primary_site"].to_numpy()


def _model(kind, **kw):
    return SiteModel(kind, params=TINY.get(kind), cv=2, random_state=0, **kw)


def _proba(model, X):
    return model.predict_proba(X)


@check
def clone_then_fit_is_the_same_model(kind, cohort):
    X, y = cohort
    a = _model(kind).fit(X, y)
    b = clone(a).fit(X, y)
    np.testing.assert_array_equal(_proba(a, X), _proba(b, X))


@check
def set_params_then_fit_equals_a_model_built_with_them(kind, cohort):
    X, y = cohort
    changed = _model(kind).set_params(cv=3, target_prior="population").fit(X, y)
    built = SiteModel(kind, params=TINY.get(kind), cv=3, target_prior="population", random_state=0).fit(X, y)
    assert changed.get_params() == built.get_params()
    np.testing.assert_array_equal(_proba(changed, X), _proba(built, X))


@check
def the_order_of_the_columns_changes_nothing(kind, cohort):
    X, y = cohort
    order = np.random.default_rng(0).permutation(X.columns)
    a = _model(kind).fit(X, y)
    b = _model(kind).fit(X[order], y)
    np.testing.assert_array_equal(_proba(a, X), _proba(b, X))
    np.testing.assert_array_equal(_proba(a, X), _proba(a, X[order]))


@check
def fitting_twice_changes_nothing(kind, cohort):
    X, y = cohort
    m = _model(kind)
    first = _proba(m.fit(X, y), X)
    np.testing.assert_array_equal(first, _proba(m.fit(X, y), X))


@check
def a_wrong_parameter_is_refused_by_name(kind, cohort):
    X, y = cohort
    for name, value, expected in [
        ("cv", 1, "range [2, inf)"),
        ("level", "organ", "'subsite'"),
        ("params", [1], "dict"),
    ]:
        said = rf"'{name}' parameter of SiteModel must be .*{re.escape(expected)}.*Got .* instead"
        with pytest.raises(InputError, match=said):
            _model(kind).set_params(**{name: value}).fit(X, y)


# Every fit fits the advice's cells too (EM, its weight cross-validated): the whole sweep is the
# slow tier's; the fast tier runs the refusals (no fit) of every kind and one fitting check.
FAST = {("rules", "clone_then_fit_is_the_same_model")}


def _cases():
    for kind in MODEL_KINDS:
        for fn in CHECKS:
            fast = fn.__name__ == "a_wrong_parameter_is_refused_by_name" or (kind, fn.__name__) in FAST
            yield pytest.param(kind, fn, id=f"{kind}-{fn.__name__}", marks=() if fast else pytest.mark.slow)


@pytest.mark.parametrize("kind,check_fn", list(_cases()))
def test_every_kind_passes_the_table_checks(kind, check_fn, cohort):
    check_fn(kind, cohort)


def test_the_registry_holds_every_check():
    assert [f.__name__ for f in CHECKS] == [
        "clone_then_fit_is_the_same_model",
        "set_params_then_fit_equals_a_model_built_with_them",
        "the_order_of_the_columns_changes_nothing",
        "fitting_twice_changes_nothing",
        "a_wrong_parameter_is_refused_by_name",
    ]


def test_the_model_is_narrow_its_parts_are_objects_of_their_own(default_model):
    """``SiteModel``'s public names are scikit-learn's methods, the sets, reasons and the one pass
    behind every output, and the fitted parts; advice cells, identity and settings are the parts'
    own (``cells_``, ``identity_``, ``prior_``), and a loaded model has each of them."""
    from netorigin.estimator import ModelCells, ModelIdentity

    methods = {n for n in dir(SiteModel) if not n.startswith("_")}
    assert methods == {
        *("fit", "predict", "predict_proba", "predict_log_proba", "decision_function", "score"),
        *("get_params", "set_params", "predict_sets", "explain", "forward", "fitted"),
        *("estimator_", "identity_"),
    }
    assert isinstance(default_model.cells_, ModelCells) and isinstance(default_model.identity_, ModelIdentity)
    assert default_model.identity_.bundle_hash == default_model.metadata_["bundle_hash"]
    assert default_model.prior_.name() == "unknown-primary"  # the shipped default: a routine work-up found nothing
    assert "proc_colonoscopy" in default_model.prior_.assumed_negative() and not default_model.prior_.assumed_negative(
        "training"
    )
    assert set(default_model.cells_.evidence_fields()) <= default_model.cells_.fields_read()
    assert not default_model.cells_.unread_fields()  # the shipped model reads every procedure
