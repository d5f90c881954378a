"""The latent-boost kind: the latent-class model plus trees boosted from its margins
(netorigin/models/_boosted.py)."""

import numpy as np
import pytest

from netorigin.contract import SITES
from netorigin.estimator import SiteModel
from netorigin.literature import Literature, default_literature, make_synthetic_cohort
from netorigin.literature._structure import structured_rows
from netorigin.testing import assert_explanation_adds_up, assert_explanation_sums_to_margin


def _losses(model, cases) -> np.ndarray:
    y = np.array([SITES.index(s) for s in cases["primary_site"].astype(str)])
    p = model.forward(cases, target_prior="training").proba
    return -np.log(np.clip(p[np.arange(len(y)), y], 1e-12, 1))


def _loss(model, cases) -> float:
    return float(_losses(model, cases).mean())


def test_zero_rounds_is_the_latent_class_model(small_cohort):
    cases = small_cohort.iloc[:800]
    boost = SiteModel("latent-boost", params={"literature_weight": 1.0, "rounds": 0}, cv=3, random_state=0)
    latent = SiteModel("latent-class", params={"literature_weight": 1.0}, cv=3, random_state=0)
    boost.fit(cases, cases["primary_site"])
    latent.fit(cases, cases["primary_site"])
    test = small_cohort.iloc[2000:2300]
    np.testing.assert_array_equal(
        boost.forward(test, target_prior="training").margins, latent.forward(test, target_prior="training").margins
    )
    assert boost.classifier_.estimator_.boost_ is None


def test_the_trees_add_to_the_margins_and_the_reasons_still_add_up(small_cohort):
    cases = small_cohort.iloc[:1500]
    m = SiteModel("latent-boost", params={"literature_weight": 1.0, "rounds": 40}, cv=3, random_state=0)
    m.fit(cases, cases["primary_site"])
    clf = m.classifier_.estimator_
    assert clf.boost_ is not None and clf.rounds_ == 40
    test = small_cohort.iloc[2000:2200].reset_index(drop=True)
    assert not np.allclose(m.forward(test, target_prior="training").margins, clf.latent_.decision_function(test))
    assert_explanation_sums_to_margin(m, test, atol=1e-8, rtol=0)
    assert_explanation_adds_up(m, test)


@pytest.mark.slow
def test_the_trees_are_kept_only_where_the_cohort_says_more_than_the_cells():
    """A cohort of the literature's own world: the cells are the truth, no rounds survive the
    held-out check; a cohort whose findings travel together (hidden subtypes): rounds are kept and
    the model is not worse than the latent-class model on fresh cases of that world."""
    lit = default_literature()
    plain = make_synthetic_cohort(3000, scenario="training-mix", random_state=3, workup="mixture")
    m = SiteModel("latent-boost", cv=3, random_state=0).fit(plain, plain["primary_site"])
    assert m.classifier_.estimator_.rounds_ == 0
    rows, _ = structured_rows(lit.parameter_rows, "subtypes", 5, strength=1.0)
    world = Literature.from_tables(rows, lit.scenario_rows)
    world.workup_table = lit.workup_table
    draw = dict(scenario="training-mix", workup="mixture", literature=world)
    cohort = make_synthetic_cohort(20000, random_state=4, **draw)
    test = make_synthetic_cohort(4000, random_state=5, **draw)
    boosted = SiteModel("latent-boost", cv=3, random_state=0).fit(cohort, cohort["primary_site"])
    latent = SiteModel("latent-class", cv=3, random_state=0).fit(cohort, cohort["primary_site"])
    assert boosted.classifier_.estimator_.rounds_ > 0
    # on fresh cases of that world, paired: never worse beyond noise, and (measured) a little better.
    # The gain was 0.005 before procedures were part of the case; the cells count the procedures
    # exactly and they settle many cases, and it is now 0.0018 (SE 0.0011): issue 31's open end
    d = _losses(boosted, test) - _losses(latent, test)
    se = d.std(ddof=1) / np.sqrt(len(d))
    assert d.mean() < 0 and d.mean() < 2 * se, (d.mean(), se)
