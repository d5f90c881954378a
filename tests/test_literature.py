"""The exact Bayes posterior: a probability, calibrated, the ceiling no model beats beyond noise."""

import numpy as np
import pandas as pd
import pytest

from netorigin import load_seed_cohort
from netorigin.literature import bayes_posterior, check_parameters, load_scenarios, make_synthetic_cohort
from netorigin.testing import assert_probabilities

SITES = ["ileal", "pancreatic", "other"]


def _prior(scenario):
    s = load_scenarios()
    p = s[(s["scenario"] == scenario) & (s["level"] == "class")].set_index("site")["value"]
    return (p / p.sum())[SITES].to_numpy()


def test_posterior_is_a_probability_for_any_cohort_in_the_contract():
    c = make_synthetic_cohort(2000, random_state=0)
    assert_probabilities(bayes_posterior(c).to_numpy(), 3)
    seed = load_seed_cohort().table
    p = bayes_posterior(seed, scenario="unknown-primary")
    assert_probabilities(p.to_numpy(), 3)
    # seed patients 1 and 7 (CDX2+, carcinoid syndrome, high 5-HIAA) look ileal
    assert (p.iloc[[0, 6]]["ileal"] > 0.9).all()
    raw = pd.DataFrame({"ihc_cdx2": ["+", None], "age_years": ["50", ""], "ki67_percent": [250 / 10, None]})
    assert_probabilities(bayes_posterior(raw).to_numpy(), 3)


@pytest.mark.parametrize("scenario", ["liver-met-archive", "unknown-primary"])
def test_nothing_observed_gives_the_scenario_prior(scenario):
    empty = pd.DataFrame({"ihc_cdx2": pd.Series([None, None], dtype=object)})
    p = bayes_posterior(empty, scenario=scenario).to_numpy()
    np.testing.assert_allclose(p, np.tile(_prior(scenario), (2, 1)), atol=1e-12)


def test_a_missing_column_and_a_blank_column_give_the_same_posterior():
    c = make_synthetic_cohort(500, random_state=4)
    a = bayes_posterior(c.drop(columns=["ihc_isl1"]))
    b = bayes_posterior(c.assign(ihc_isl1=pd.Series([None] * len(c), dtype=object)))
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), atol=1e-12)


def test_one_case_alone_equals_in_batch():
    c = make_synthetic_cohort(50, random_state=8)
    batch = bayes_posterior(c).to_numpy()
    for i in (0, 17, 49):
        np.testing.assert_allclose(bayes_posterior(c.iloc[[i]]).to_numpy()[0], batch[i], rtol=0, atol=1e-14)


def test_label_noise_is_part_of_the_model():
    c = make_synthetic_cohort(2000, random_state=1)
    clean, noisy = bayes_posterior(c).to_numpy(), bayes_posterior(c, label_noise=0.3).to_numpy()
    np.testing.assert_allclose(noisy, 0.7 * clean + 0.15 * (1 - clean))


@pytest.mark.statistical
@pytest.mark.parametrize("scenario", ["liver-met-archive", "unknown-primary"])
def test_posterior_is_calibrated(scenario):
    """Among cases with posterior near p, the site occurs with frequency near p."""
    c = make_synthetic_cohort(200_000, scenario=scenario, random_state=21)
    p = bayes_posterior(c, scenario=scenario).to_numpy()
    y = c["primary_site"].cat.codes.to_numpy()
    for k in range(3):
        bins = np.minimum((p[:, k] * 10).astype(int), 9)
        for b in range(10):
            m = bins == b
            if m.sum() < 500:
                continue
            pred, obs = p[m, k].mean(), (y[m] == k).mean()
            se = np.sqrt(pred * (1 - pred) / m.sum())
            assert abs(obs - pred) < 4 * se + 0.005, (SITES[k], b, pred, obs, m.sum())


@pytest.mark.statistical
@pytest.mark.slow
def test_a_well_trained_model_cannot_beat_the_posterior_beyond_noise():
    from sklearn.ensemble import HistGradientBoostingClassifier

    from netorigin import CaseFeatures

    train = make_synthetic_cohort(30_000, scenario="liver-met-archive", random_state=31)
    test = make_synthetic_cohort(30_000, scenario="liver-met-archive", random_state=32)
    ft = CaseFeatures().fit(train)
    clf = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=0)
    clf.fit(ft.transform(train), train["primary_site"].cat.codes)
    pm = clf.predict_proba(ft.transform(test))
    pb = bayes_posterior(test, scenario="liver-met-archive").to_numpy()
    y = test["primary_site"].cat.codes.to_numpy()
    idx = np.arange(len(y))
    ll_model, ll_bayes = -np.log(pm[idx, y]).mean(), -np.log(pb[idx, y]).mean()
    acc_model, acc_bayes = (pm.argmax(1) == y).mean(), (pb.argmax(1) == y).mean()
    # the ceiling holds (within sampling noise) and a good model gets close to it
    assert ll_model >= ll_bayes - 0.005 and acc_model <= acc_bayes + 0.006
    assert ll_model - ll_bayes < 0.06 and acc_bayes - acc_model < 0.03


@pytest.mark.statistical
@pytest.mark.slow
def test_check_finds_every_parameter_within_its_sampling_error():
    table = check_parameters("liver-met-archive", n=200_000, random_state=1)
    bad = table[~table["ok"]]
    assert bad.empty, bad.to_string()
    assert (table["n"] > 0).all() and (table["se"] > 0).all()
    # the tolerance is the sampling error's, not a fixed point: rarer measurements get wider ones
    rates = table[table["parameter"].str.startswith("rate:")]
    assert rates["tolerance"].max() > 2 * rates["tolerance"].min()
    rates = table[table["parameter"].str.startswith(("rate:", "mean:")) | table["parameter"].str.contains("share")]
    assert rates["z"].abs().max() < 4.5  # rates and means: sampling error alone


@pytest.mark.statistical
@pytest.mark.slow
def test_check_names_a_parameter_that_the_data_contradict():
    from netorigin.literature import Literature

    lit = Literature()
    table = lit.parameters  # the file says 0.5; the cell model still draws the real rate
    row = (table["parameter"] == "rate:ihc_cdx2=positive") & (table["site"] == "ileal")
    table.loc[row, "value"] = 0.5
    lit.parameters = table
    c = check_parameters("liver-met-archive", n=100_000, random_state=2, literature=lit)
    bad = c[~c["ok"]]
    assert list(zip(bad["parameter"], bad["site"])) == [("rate:ihc_cdx2=positive", "ileal")]
    assert abs(bad["z"].iloc[0]) > 20
