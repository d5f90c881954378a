"""Synthetic cohorts: validity, determinism, the literature's structure, the work-up, label noise."""

import numpy as np
import pandas as pd
import pytest

from netorigin import InputError, validate_cohort
from netorigin.contract import grade_from_ki67
from netorigin.io import load_cases, write_table
from netorigin.literature import SCENARIOS, Literature, load_parameters, load_scenarios, make_synthetic_cohort


@pytest.fixture(scope="module")
def complete():
    """Every test done, so rates can be read off directly."""
    return make_synthetic_cohort(
        60_000, scenario="liver-met-archive", random_state=11, workup="complete", return_latent=True
    )


def _rate(series, value):
    s = series.astype(object).dropna()
    return float((s == value).mean())


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_generated_cohorts_are_valid_cases(scenario, tmp_path):
    c = make_synthetic_cohort(3000, scenario=scenario, random_state=0)
    v = validate_cohort(c)
    assert v.n_cases == 3000 and not v.extra_columns
    # and still valid after a round trip through a file
    assert load_cases(write_table(c, tmp_path / "c.csv")).n_cases == 3000


def test_same_seed_same_bytes_other_seed_other_cohort(tmp_path):
    for suffix in ("csv", "parquet"):
        a = write_table(make_synthetic_cohort(5000, random_state=7), tmp_path / f"a.{suffix}")
        b = write_table(make_synthetic_cohort(5000, random_state=7), tmp_path / f"b.{suffix}")
        assert a.read_bytes() == b.read_bytes()
    x = make_synthetic_cohort(500, random_state=1)
    y = make_synthetic_cohort(500, random_state=2)
    assert not x.equals(y)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_site_mix_follows_the_scenario_file(scenario):
    n = 40_000
    c = make_synthetic_cohort(n, scenario=scenario, random_state=3)
    s = load_scenarios()
    prior = s[(s["scenario"] == scenario) & (s["level"] == "class")].set_index("site")["value"]
    prior = prior / prior.sum()
    share = c["primary_site"].value_counts(normalize=True)
    for site, p in prior.items():
        assert abs(share[site] - p) < 4 * np.sqrt(p * (1 - p) / n), (site, share[site], p)


def test_every_parameter_names_a_source_and_a_status():
    p = load_parameters()
    assert p["source"].str.strip().ne("").all()
    assert p["status"].isin(["published", "derived", "assumed"]).all()
    derived = p[p["status"] == "derived"]
    assert derived["working"].str.strip().ne("").all(), "derived figures show their arithmetic"
    s = load_scenarios()
    assert s["source"].str.strip().ne("").all() and s["status"].isin(["published", "derived", "assumed"]).all()


def _edited_parameters(tmp_path, edit):
    """The bundled parameter table changed by ``edit`` (DataFrame -> DataFrame), as a file."""
    path = tmp_path / "params.csv"
    edit(load_parameters()).to_csv(path, index=False)
    return path


def test_parameter_file_without_source_is_refused(tmp_path):
    path = _edited_parameters(tmp_path, lambda p: p.assign(source=[""] + list(p["source"].iloc[1:])))
    with pytest.raises(InputError, match="line 2: source: blank"):
        Literature(parameters=path)


def test_a_gap_in_the_parameters_is_refused(tmp_path):
    path = _edited_parameters(
        tmp_path, lambda p: p[~((p["parameter"] == "rate:ihc_cdx2=positive") & (p["site"] == "ileal"))]
    )
    with pytest.raises(InputError, match="'rate:ihc_cdx2=positive' has no value for ileum"):
        Literature(parameters=path)


def test_parameters_are_easy_to_change(tmp_path):
    def edit(p):
        p.loc[(p["parameter"] == "mean:expr_cd302") & (p["site"] == "ileal"), "value"] = 9.0
        return p

    path = _edited_parameters(tmp_path, edit)
    c = make_synthetic_cohort(4000, random_state=0, workup="complete", literature=Literature(parameters=path))
    assert c.loc[c["primary_site"] == "ileal", "expr_cd302"].mean() == pytest.approx(9.0, abs=0.05)


def test_grade_follows_ki67_by_who_2019(complete):
    g = complete["grade"].astype(object).map({"G1": 1.0, "G2": 2.0, "G3": 3.0}).to_numpy(dtype=float)
    assert np.array_equal(g, grade_from_ki67(complete["ki67_percent"].to_numpy()))
    g1 = complete[complete["grade"] == "G1"]
    assert (g1["mitoses_per_2mm2"] == "<2").all()


def test_rectal_and_duodenal_cases_can_look_pancreatic(complete):
    d = complete["primary_site_detail"].astype(object)
    assert _rate(complete.loc[d == "rectum", "ihc_isl1"], "positive") > 0.8
    assert _rate(complete.loc[d == "duodenum", "ihc_pax8"], "positive") > 0.7
    assert _rate(complete.loc[d == "duodenum", "ihc_isl1"], "positive") > 0.8
    assert _rate(complete.loc[d == "ileum", "ihc_isl1"], "positive") < 0.05


def test_correlations_from_the_literature(complete):
    c = complete
    panc = c[c["primary_site"] == "pancreatic"]
    # ALT goes with DAXX/ATRX loss (Kim 2017; Hackeng 2022)
    lost_if_alt = _rate(panc.loc[panc["alt_status"] == "positive", "ihc_daxx_atrx"], "lost")
    lost_if_not = _rate(panc.loc[panc["alt_status"] == "negative", "ihc_daxx_atrx"], "lost")
    assert lost_if_alt > 0.8 and lost_if_not < 0.1
    # serotonin with CDX2 in pancreatic tumours (EC-cell phenotype; La Rosa 2004)
    cdx_if_ser = _rate(panc.loc[panc["ihc_serotonin"] == "positive", "ihc_cdx2"], "positive")
    assert cdx_if_ser > 3 * _rate(panc["ihc_cdx2"], "positive")
    # TTF-1-positive lung tumours are OTP-positive (Nonaka 2016)
    lung = c[c["primary_site_detail"] == "lung"]
    assert _rate(lung.loc[lung["ihc_ttf1"] == "positive", "ihc_otp"], "positive") > 0.9
    # carcinoid syndrome with high 5-HIAA in ileal tumours
    si = c[c["primary_site"] == "ileal"]
    assert _rate(si.loc[si["carcinoid_syndrome"] == "yes", "urine_5hiaa"], "elevated") > 0.95
    assert _rate(si.loc[si["carcinoid_syndrome"] == "no", "urine_5hiaa"], "elevated") < 0.75
    # pancreatic liver lesions are larger
    assert panc["largest_liver_lesion_cm"].median() > si["largest_liver_lesion_cm"].median()


def test_workup_is_sequential_and_missing_at_random_given_earlier_results():
    c = make_synthetic_cohort(80_000, scenario="liver-met-archive", random_state=5)
    cdx = c["ihc_cdx2"].astype(object)
    done_isl1 = c["ihc_isl1"].notna()
    after_neg, after_pos = done_isl1[cdx == "negative"].mean(), done_isl1[cdx == "positive"].mean()
    assert after_neg == pytest.approx(0.65, abs=0.02) and after_pos == pytest.approx(0.15, abs=0.02)
    # within one stratum of earlier results, whether ISL1 was done says nothing about the site
    for value in ("negative", "positive"):
        s = c[cdx == value]
        rates = s.groupby(s["primary_site"].astype(object))["ihc_isl1"].apply(lambda x: x.notna().mean())
        assert rates.max() - rates.min() < 0.03, rates
    # not done stays missing: no invented negatives
    assert c["ihc_otp"].isna().mean() > 0.8
    assert c["expr_ppwd1"].notna().sum() == c["expr_cd302"].notna().sum()


def test_complete_workup_does_every_test(complete):
    assert not complete.drop(columns=["latent_cell"]).isna().any().any()


def test_label_noise_flips_labels_and_keeps_them_consistent():
    c = make_synthetic_cohort(40_000, random_state=2, label_noise=0.2, return_latent=True)
    true_site = (
        c["latent_cell"]
        .str.split("/")
        .str[0]
        .map({"ileum": "ileal", "jejunum": "ileal", "pancreas": "pancreatic"})
        .fillna("other")
    )
    assert (true_site != c["primary_site"].astype(object)).mean() == pytest.approx(0.2, abs=0.01)
    validate_cohort(c.drop(columns=["latent_cell"]))  # detail and site still agree


@pytest.mark.parametrize("bad", [{"n": 0}, {"n": 10, "label_noise": 1.5}, {"n": 10, "scenario": "nowhere"}])
def test_bad_arguments_are_clear_errors(bad):
    with pytest.raises(InputError):
        make_synthetic_cohort(**bad)


def test_workup_file_must_refer_to_earlier_tests(tmp_path):
    w = pd.DataFrame(
        {
            "test": ["ihc_cdx2", "ihc_isl1"],
            "given": ["ihc_otp=positive", "*"],
            "probability": [0.5, 0.5],
            "status": ["assumed"] * 2,
            "note": ["", ""],
        }
    )
    with pytest.raises(InputError, match="earlier test"):
        make_synthetic_cohort(10, workup=w)


def test_thinning_keeps_one_to_six_recorded_fields_and_never_changes_a_value():
    from netorigin.io import informative_fields
    from netorigin.literature import thin_cases

    cohort = make_synthetic_cohort(400, random_state=5, workup="complete")
    thinned_cohort, thinned = thin_cases(cohort, share=0.5, random_state=6)
    assert 0.4 < thinned.mean() < 0.6
    before, after = informative_fields(cohort), informative_fields(thinned_cohort)
    for i in range(len(cohort)):
        if thinned[i]:
            assert 1 <= len(after[i]) <= 6 and set(after[i]) <= set(before[i])
        else:
            assert after[i] == before[i]
    kept = thinned_cohort.notna()
    assert (thinned_cohort[kept].astype(object) == cohort[kept].astype(object)).where(kept, True).all().all()
    assert (thinned_cohort["primary_site_detail"] == cohort["primary_site_detail"]).all()
    assert {len(f) for f, t in zip(after, thinned) if t} == set(range(1, 7))  # every count occurs


@pytest.mark.parametrize(
    "bad, said",
    [
        ({"n": 10**12}, "n: 1000000000000 is not a whole number from 1 to 5,000,000"),
        ({"n": True}, "n: True"),
        ({"n": 500, "worlds": 10**8}, "is not a whole number from"),
    ],
)
def test_a_cohort_too_large_for_memory_is_refused_before_anything_is_allocated(bad, said):
    with pytest.raises(InputError, match=said):
        make_synthetic_cohort(**bad)


@pytest.mark.parametrize(
    "args, said",
    [
        (["--n", "1000000000000", "-o", "x.csv"], "use --partitions"),
        (["--n", "1000000000000", "--partitions", "10", "-o", "parts"], "use more --partitions"),
        (["--n", "100", "--partitions", "1000000000", "-o", "parts"], "1<=x<=10000"),
        (["--n", "100", "--partitions", "2", "--workers", "1000000000", "-o", "parts"], "1<=x<=64"),
    ],
)
def test_synth_numbers_are_bounded_by_name(tmp_path, args, said):
    from _helpers import run

    r = run("synth", *args, cwd=tmp_path)
    assert r.returncode == 2 and said in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not any(tmp_path.iterdir())
