"""Calibration, deployment prior (over sites and sub-sites), conformal sets, reasons that add up."""

import numpy as np
import pytest

from netorigin.contract import SITES, site_sums
from netorigin.estimator import ConformalSets, resolve_prior
from netorigin.estimator._conformal import SET_ABOVE, SET_HOLDS, SET_KEPT, stratum_of
from netorigin.estimator._explain import explain_clr
from netorigin.estimator._prior import PriorShift, label_prior, reweight, shift_prior
from netorigin.estimator._temperature import TemperatureScaling
from netorigin.exceptions import InputError
from netorigin.models import site_of
from netorigin.training import expected_calibration_error


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
    for bad in (0.0, float("nan"), -1.0):
        with pytest.raises(InputError, match="temperature"):
            TemperatureScaling.fitted(bad, cal.bias_)


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
    for bad in ("nowhere", "1,2", "a,b,c", "-1,1,1", "0,0,0", "inf,1,1", "nan,1,1", "1e+-200,1,1"):
        with pytest.raises(InputError, match="target prior"):
            resolve_prior(bad)
    # a share too small to compute with is refused, not rounded to 0 (which would rule the site out)
    assert resolve_prior("1e-300,1,1")[1][0] > 0
    for tiny in ("1e200,1e-200,1", "1,1e-310,1", "5e-324,1,1"):
        with pytest.raises(InputError, match="give it 0 to rule the site out"):
            resolve_prior(tiny)


def test_named_scenarios_shift_the_sub_site_mix_and_custom_priors_keep_it_within_sites():
    labels = ["ileum", "jejunum", "pancreas", "lung", "rectum", "caecum", "appendix"]
    train = np.array([0.4, 0.1, 0.25, 0.12, 0.08, 0.03, 0.02])
    _, up, unseen = label_prior("unknown-primary", labels, train)
    # scenarios.csv: unknown-primary is 13% other, of which lung 35%, caecum 15% (colon, stomach,
    # duodenum are not in this model: their share is reported as unseen)
    assert unseen == pytest.approx(0.13 * (0.10 + 0.05 + 0.10), abs=1e-9)
    assert up[labels.index("caecum")] / up[labels.index("lung")] == pytest.approx(0.15 / 0.35)
    _, custom, _ = label_prior("0.1,0.1,0.8", labels, train)
    other = [labels.index(x) for x in ("lung", "rectum", "caecum", "appendix")]
    assert custom[other].sum() == pytest.approx(0.8)
    np.testing.assert_allclose(custom[other] / custom[other].sum(), train[other] / train[other].sum())
    shift = PriorShift("population").fit(None, labels=labels, train_prior=train)
    assert shift.resolve()[0] == "population" and shift.transform(np.full((1, 7), 1 / 7)).sum() == pytest.approx(1)


def _draw(rng, n, weights, label_site):
    """Cases whose label probabilities are informative but noisy; y drawn from ``weights``."""
    y = rng.choice(len(weights), size=n, p=weights / weights.sum())
    m = 2.0 * np.eye(len(weights))[y] + rng.normal(scale=1.5, size=(n, len(weights)))
    p = np.exp(m) / np.exp(m).sum(1, keepdims=True)
    return y, p


def _draw_sparse(rng, n, weights):
    """Cases with 0-12 informative fields: the fewer fields, the noisier the probabilities, and
    sparse cases' probabilities are overconfident (as a model's are where it saw few such cases)."""
    y = rng.choice(len(weights), size=n, p=weights / weights.sum())
    k = rng.integers(0, 13, size=n)
    signal = 0.35 * k
    m = 2.5 * (signal[:, None] + 0.5) * np.eye(len(weights))[y] + rng.normal(scale=2.0, size=(n, len(weights)))
    m *= np.where(k <= 2, 2.0, 1.0)[:, None]  # overconfident where little is recorded
    p = np.exp(m - m.max(1, keepdims=True))
    return y, p / p.sum(1, keepdims=True), k


def test_sets_cover_every_site_within_every_stratum_of_recorded_fields_under_a_new_mix():
    rng = np.random.default_rng(3)
    labels = ["ileum", "pancreas", "lung", "caecum"]
    ls = site_of(labels)
    train_mix, new_mix = np.array([0.45, 0.35, 0.17, 0.03]), np.array([0.6, 0.1, 0.18, 0.12])
    y_cal, p_cal, k_cal = _draw_sparse(rng, 20000, train_mix)
    sets = ConformalSets().fit(p_cal, y_cal, label_site=ls, n_fields=k_cal)
    plain = ConformalSets().fit(p_cal, y_cal, label_site=ls)  # one stratum: what it would miss
    y, p, k = _draw_sparse(rng, 60000, new_mix)
    w = new_mix / train_mix
    shifted = reweight(p, w)
    true_site = ls[y]
    s = sets.predict(shifted, 0.9, w, n_fields=k)
    hit = s[np.arange(len(y)), true_site]
    plain_hit = plain.predict(shifted, 0.9, w)[np.arange(len(y)), true_site]
    sparse = k <= 2
    for site in range(3):
        for stratum in (sparse, ~sparse):
            m = (true_site == site) & stratum
            assert hit[m].mean() >= 0.88, (SITES[site], stratum.mean())
    assert min(plain_hit[(true_site == j) & sparse].mean() for j in range(3)) < 0.88  # the problem solved
    P = site_sums(shifted, ls)
    assert s[np.arange(len(P)), P.argmax(1)].all()
    in_set_min = np.where(s, P, np.inf).min(1)
    assert not (~s & (P > in_set_min[:, None])).any()  # no site outside more probable than one inside
    assert ((s * P).sum(1) >= 0.9 - 1e-9).all()  # a set holds at least the level of the probability
    assert (s[P.max(1) >= 0.99].sum(1) == 1).mean() > 0.5  # confident cases: mostly one site
    with pytest.raises(InputError, match="coverage"):
        sets.predict(shifted, 0.995, w, n_fields=k)
    with pytest.raises(InputError, match="informative fields"):
        sets.predict(shifted, 0.9, w)


def test_why_a_site_is_in_the_set():
    rng = np.random.default_rng(1)
    labels = ["ileum", "pancreas", "lung"]
    ls = site_of(labels)
    y, p, k = _draw_sparse(rng, 5000, np.array([0.4, 0.4, 0.2]))
    sets = ConformalSets().fit(p, y, label_site=ls, n_fields=k)
    why = sets.reasons(p, 0.9, np.ones(3), n_fields=k)
    P = site_sums(p, ls)
    assert set(np.unique(why)) <= {"", SET_HOLDS, SET_KEPT, SET_ABOVE} and (why == SET_KEPT).any()
    held = np.where(why == SET_HOLDS, P, 0).sum(1)
    assert ((held >= 0.9 - 1e-9) | (why == SET_HOLDS).all(1)).all()
    q, _ = sets.thresholds(np.ones(3), 0.9)
    kept = np.argwhere(why == SET_KEPT)
    for i, j in kept[:50]:
        assert 1 - P[i, j] <= q[j, stratum_of(k[i])] + 1e-12


def test_a_sub_site_the_prior_rules_out_plays_no_part_in_the_thresholds():
    rng = np.random.default_rng(4)
    labels = ["ileum", "pancreas", "lung", "appendix"]
    ls = site_of(labels)
    y, p, k = _draw_sparse(rng, 6000, np.array([0.4, 0.4, 0.15, 0.05]))
    w = np.array([1.0, 1.0, 1.0, 0.0])  # e.g. liver-met-archive: no appendix
    q, _ = ConformalSets().fit(p, y, label_site=ls, n_fields=k).thresholds(w, 0.9)
    keep = y != 3
    q_without, _ = ConformalSets().fit(p[keep], y[keep], label_site=ls, n_fields=k[keep]).thresholds(w, 0.9)
    np.testing.assert_allclose(q, q_without)


def test_a_stratum_with_too_few_cases_of_a_site_uses_the_sites_pooled_scores():
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(400, int), np.ones(400, int)]
    k = np.r_[np.full(400, 5), np.full(390, 5), np.full(10, 0)]  # 10 pancreatic cases with nothing recorded
    p = rng.dirichlet([1, 1, 1], size=len(y))
    sets = ConformalSets().fit(p, y, label_site=np.array([0, 1, 2]), n_fields=k)
    q, pooled = sets.thresholds(np.array([1.0, 1.0, 1.0]), 0.9)
    assert ("pancreatic", "0") in pooled and ("pancreatic", "3-5") not in pooled
    assert q[1, 0] == q[1, 1] == q[1, 4]  # the empty and near-empty strata share the pooled scores


@pytest.mark.parametrize("label_site", [[0, 1, 2], [0, 0, 1, 2, 2, 2]])
def test_explanation_terms_add_up_to_the_displayed_clr_exactly(label_site):
    rng = np.random.default_rng(5)
    L, F, n = len(label_site), 8, 300
    contrib = rng.normal(scale=2.5, size=(n, F, L))  # large margins: a hard integral
    base = rng.normal(size=(n, L))
    bias, rho = rng.normal(size=L), np.log(rng.dirichlet(np.ones(L)) * L)
    f0, cal, prior, terms, total = explain_clr(base, contrib, 1.3, bias, rho, np.array(label_site))
    u = (base + contrib.sum(1)) / 1.3 + bias + rho
    p = site_sums(
        np.exp(u - u.max(1, keepdims=True)) / np.exp(u - u.max(1, keepdims=True)).sum(1, keepdims=True),
        np.array(label_site),
    )
    clr = np.log(p) - np.log(p).mean(1, keepdims=True)
    np.testing.assert_allclose(total, clr, atol=1e-10)
    np.testing.assert_allclose(f0 + cal + prior + terms.sum(1), total, atol=1e-9)


def _unseparable_sub_sites(n=3000, seed=0):
    """Margins of a sub-site model whose sites are calibrated as they are, but whose two ileal
    sub-sites (equally common, indistinguishable) get confident, meaningless margins: what fold
    models learn from small cohorts."""
    rng = np.random.default_rng(seed)
    q = rng.dirichlet(np.ones(3) * 0.6, n)
    site = np.array([rng.choice(3, p=r) for r in q])
    label = np.where(site == 0, rng.integers(0, 2, n), site + 1)  # ileum, jejunum, pancreas, lung
    noise = rng.normal(scale=3.0, size=n)
    ileal = np.log(q[:, 0]) - np.log(2 * np.cosh(noise / 2))  # the two sub-sites add up to the site
    margins = np.c_[ileal + noise / 2, ileal - noise / 2, np.log(q[:, 1]), np.log(q[:, 2])]
    return margins, label, np.array([0, 0, 1, 2])


def test_a_calibration_that_makes_the_sites_held_out_figures_worse_is_not_chosen():
    """Temperatures fitted to the sub-site log-loss (~2 on a small registry cohort) once flattened
    the site probabilities, and a held-out ECE of 0.065 became 0.137: the calibration is chosen on
    held-out figures of the labels, and gives way to a simpler one (down to none) when it makes the
    sites' held-out log-loss or ECE worse; the record says which shipped and why."""
    margins, label, label_site = _unseparable_sub_sites()
    cal = TemperatureScaling(per_label="auto").fit(margins, label, label_site=label_site)
    held = cal.choice_["modes"]
    assert held["per-label"]["log_loss"] < held["none"]["log_loss"]  # the labels' own loss prefers it
    assert held["per-label"]["site_log_loss"] > held["none"]["site_log_loss"]  # ... the sites pay
    assert cal.mode_ == "none" and np.all(cal.temperature_ == 1) and np.all(cal.bias_ == 0)
    record = cal.record("5-fold cross-fitting")
    assert record["shipped"] == "none (uncalibrated)" and "site log-loss worse" in record["reason"]
    # where calibration helps the sites too, it is kept
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 4000)
    over = 4.0 * np.eye(3)[y] + rng.normal(scale=3.0, size=(4000, 3))
    kept = TemperatureScaling(per_label="auto").fit(over, y, label_site=np.arange(3))
    assert kept.mode_ != "none" and kept.choice_["guard"] is None
    assert kept.record("5-fold cross-fitting")["shipped"] in ("one temperature", "a temperature per label")


@pytest.mark.parametrize("mix", [[1e300, 1, 1], [1e-300, 1, 1], [1e150, 1e-150, 1], [1, 1e-300, 1e-300]])
def test_a_prior_with_a_huge_ratio_gives_sets_that_cover_every_site_it_allows(mix):
    rng = np.random.default_rng(6)
    labels = ["ileum", "jejunum", "pancreas", "lung"]
    ls, train = site_of(labels), np.array([0.3, 0.1, 0.4, 0.2])
    y_cal, p_cal, k_cal = _draw_sparse(rng, 6000, train)
    sets = ConformalSets().fit(p_cal, y_cal, label_site=ls, n_fields=k_cal)
    shift = PriorShift().fit(None, labels=labels, train_prior=train)
    w = shift.weights(",".join(map(str, mix)))
    y, p, k = _draw_sparse(rng, 6000, train)
    shifted = shift.transform(p, ",".join(map(str, mix)))
    assert np.isfinite(shifted).all() and np.allclose(shifted.sum(1), 1)
    s = sets.predict(shifted, 0.9, w, n_fields=k)
    hit = s[np.arange(len(y)), ls[y]]
    for site in range(3):  # the guarantee is per site: it holds for a site the prior makes all but impossible
        assert hit[ls[y] == site].mean() >= 0.88, SITES[site]
    q, _ = sets.thresholds(w, 0.9)
    assert np.isfinite(q).all()


def test_a_prior_that_rules_sites_out_gives_them_no_probability_and_never_puts_them_in_a_set():
    rng = np.random.default_rng(7)
    labels = ["ileum", "jejunum", "pancreas", "lung"]
    ls, train = site_of(labels), np.array([0.3, 0.1, 0.4, 0.2])
    y_cal, p_cal, k_cal = _draw_sparse(rng, 6000, train)
    p_cal[:50] = np.eye(4, dtype=np.float32)[2]  # float32 zeros: cases the stored probabilities put on pancreas only
    sets = ConformalSets().fit(p_cal, y_cal, label_site=ls, n_fields=k_cal)
    shift = PriorShift().fit(None, labels=labels, train_prior=train)
    y, p, k = _draw_sparse(rng, 4000, train)
    for spec, allowed in (("1,0,0", [0]), ("0,1,1", [1, 2]), ("1,0,1", [0, 2])):
        w = shift.weights(spec)
        shifted = shift.transform(p, spec)
        P = site_sums(shifted, ls)
        out = [k_ for k_ in range(3) if k_ not in allowed]
        assert np.isfinite(P).all() and (P[:, out] == 0).all() and np.allclose(P.sum(1), 1)
        s = sets.predict(shifted, 0.9, w, n_fields=k)
        assert not s[:, out].any(), spec  # a site the setting rules out is never in a set
        assert s[np.arange(len(P)), P.argmax(1)].all()
        m = np.isin(ls[y], allowed)  # cases of the sites it allows: still covered, site by site
        for site in allowed:
            assert s[np.arange(len(y)), ls[y]][m & (ls[y] == site)].mean() >= 0.88, (spec, site)


def test_reweighting_where_the_products_underflow_is_done_in_logs():
    p = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [1e-200, 0.6, 0.4]])
    w = np.array([0.0, 3.0, 1e-300])
    out = reweight(p, w)
    # row 0: nothing on a label the prior allows (the stored probabilities underflowed): the prior's own mix
    np.testing.assert_allclose(out[0], w / w.sum())
    np.testing.assert_allclose(out[1], [0.0, 1.0, 0.0])
    np.testing.assert_allclose(out[2], [0.0, 1.0, 0.4e-300 / 1.8], rtol=1e-12)
    # with the log-probabilities the caller has, what underflowed as a probability is still exact
    lp = np.array([[-800.0, -802.0, 0.0]])
    exact = np.array([[1.0, np.exp(-2.0), 0.0]]) / (1 + np.exp(-2.0))
    np.testing.assert_allclose(reweight(np.exp(lp), np.array([1.0, 1.0, 0.0]), log_proba=lp), exact, rtol=1e-12)
    np.testing.assert_allclose(reweight(np.exp(lp), np.array([1.0, 1.0, 0.0])), [[0.5, 0.5, 0.0]])


@pytest.mark.parametrize("label_site", [[0, 1, 2], [0, 0, 1, 2, 2, 2]])
@pytest.mark.parametrize("ruled_out", [[1], [1, 2]])
def test_a_prior_that_rules_sites_out_is_explained_over_the_sites_it_allows(label_site, ruled_out):
    from netorigin.estimator._explain import SCALE_ALLOWED, make_explanation

    rng = np.random.default_rng(8)
    ls = np.array(label_site)
    L, F, n = len(ls), 6, 200
    contrib, base = rng.normal(scale=2.0, size=(n, F, L)), rng.normal(size=(n, L))
    bias = rng.normal(size=L)
    rho = np.where(np.isin(ls, ruled_out), -np.inf, np.log(rng.dirichlet(np.ones(L)) * L))
    e = make_explanation([f"f{j}" for j in range(F)], base, contrib, 1.3, bias, rho, ls)
    u = (base + contrib.sum(1)) / 1.3 + bias + rho
    p = site_sums(np.exp(u - u.max(1, keepdims=True)) / np.exp(u - u.max(1, keepdims=True)).sum(1, keepdims=True), ls)
    allowed = [k for k in range(3) if k not in ruled_out]
    assert (p[:, ruled_out] == 0).all()
    logp = np.log(p[:, allowed])
    np.testing.assert_allclose(e.total[:, allowed], logp - logp.mean(1, keepdims=True), atol=1e-10)
    np.testing.assert_allclose(e.baseline + e.calibration + e.prior + e.terms.sum(1), e.total, atol=1e-9)
    for part in (e.total, e.baseline, e.calibration, e.prior, e.terms.sum(1)):
        assert np.isfinite(part).all() and (part[:, ruled_out] == 0).all()
    assert e.scale == SCALE_ALLOWED and "the sites the setting allows" in e.scale
