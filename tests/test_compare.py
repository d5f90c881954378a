"""Models compared on the same cases (netorigin.training.compare_models, netorigin compare):
paired differences equal the difference of each model's own figures, intervals hold their
point, the groups add up to the cases, a model against itself differs by exactly 0, the
bootstrap resamples patients, nothing about a case reaches tracking, bad input exits 2."""

import json

import numpy as np
import pytest
from _helpers import run

from netorigin.contract import SITES
from netorigin.io import INFORMATION_BINS, information_bin
from netorigin.literature import make_synthetic_cohort
from netorigin.training import compare_models, evaluate_model
from netorigin.training._compare import _interval
from netorigin.training._metrics import site_metrics

METRICS = ("log_loss", "accuracy", "brier", "ece")


@pytest.fixture(scope="module")
def cases():
    """600 labelled cases of mixed work-ups (every information stratum), two cases per patient."""
    c = make_synthetic_cohort(600, scenario="liver-met-archive", random_state=31, workup="mixture")
    c["patient_id"] = [f"PAT-{i // 2}" for i in range(len(c))]
    return c


@pytest.fixture(scope="module")
def three(trained_kinds, tiny_xgboost):
    """A latent-class model, an xgboost model trained on another cohort (another training mix),
    and a model that learnt the three sites only."""
    site_level = next(r.model for r in trained_kinds.values() if r.model.level_ == "site")
    return [trained_kinds["latent-class"].model, tiny_xgboost[0], site_level]


@pytest.fixture(scope="module")
def compared(three, cases):
    return compare_models(three, cases, target_prior="population", n_bootstrap=300, random_state=0)


def test_each_paired_difference_is_the_difference_of_each_models_own_figures(compared, three, cases):
    """Every row against figures computed independently: evaluate_model on all cases and by
    information stratum, site_metrics on each model's own site probabilities per site."""
    y = cases["primary_site"].map({s: k for k, s in enumerate(SITES)}).to_numpy()
    own = [evaluate_model(m, cases, target_prior="population", n_bootstrap=0, with_robustness=False) for m in three]
    proba = [m.forward(cases, target_prior="population").proba for m in three]
    rows = compared.table()
    assert set(rows["comparison"]) == {"B - A", "C - A"}
    for k, label in ((1, "B"), (2, "C")):
        for metric in METRICS:
            r = rows.query(f"model == '{label}' and stratum == 'all cases' and metric == '{metric}'").iloc[0]
            a, b = own[0]["calibrated"][metric], own[k]["calibrated"][metric]
            assert r["baseline_value"] == pytest.approx(a, abs=1e-12) and r["model_value"] == pytest.approx(
                b, abs=1e-12
            )
            assert r["difference"] == pytest.approx(b - a, abs=1e-12)
            for j, site in enumerate(SITES):
                r = rows.query(f"model == '{label}' and stratum == '{site}' and metric == '{metric}'").iloc[0]
                want = (
                    site_metrics(y[y == j], proba[k][y == j])[metric]
                    - site_metrics(y[y == j], proba[0][y == j])[metric]
                )
                assert r["difference"] == pytest.approx(want, abs=1e-12)
        for stratum_a, stratum_b in zip(own[0]["by_information"], own[k]["by_information"]):
            for metric in ("accuracy", "log_loss", "ece"):
                r = rows.query(
                    f"model == '{label}' and group == 'fields recorded' and stratum == '{stratum_a['bin']}' "
                    f"and metric == '{metric}'"
                ).iloc[0]
                assert r["difference"] == pytest.approx(stratum_b[metric] - stratum_a[metric], abs=1e-12)
    assert compared.own_figures()["B"]["log_loss"] == pytest.approx(own[1]["calibrated"]["log_loss"], abs=1e-12)


def test_every_interval_holds_its_point_and_the_verdict_follows_it(compared):
    t = compared.table()
    with_ci = t[t["ci_low"].notna()]
    assert len(with_ci) > 0.8 * len(t)
    assert (with_ci["ci_low"] <= with_ci["difference"]).all() and (with_ci["difference"] <= with_ci["ci_high"]).all()
    assert (with_ci["ci_low"] < with_ci["ci_high"]).all()  # different models: real intervals
    for r in with_ci.itertuples():
        up = r.metric == "accuracy"
        if r.ci_low > 0:
            assert r.verdict == ("better" if up else "worse")
        elif r.ci_high < 0:
            assert r.verdict == ("worse" if up else "better")
        else:
            assert r.verdict == "no clear difference"
    assert (t.loc[t["ci_low"].isna(), "n"] < 30).all() and (t.loc[t["ci_low"].isna(), "verdict"] == "no interval").all()


def test_an_interval_whose_resamples_all_overstate_the_difference_still_holds_it():
    """ECE of a resample overstates miscalibration, so every resampled difference can lie on one
    side of the observed one (issue 30 printed an ECE outside its own interval): the interval is
    moved to the observed difference, keeping its width."""
    diffs = np.random.default_rng(0).normal(0.02, 0.004, 500)
    raw = np.percentile(diffs, [2.5, 97.5])
    assert raw[0] > 0  # the plain percentile interval leaves the observed 0 out
    lo, hi = _interval(0.0, diffs)
    assert lo <= 0.0 <= hi and hi - lo == pytest.approx(raw[1] - raw[0])
    assert _interval(0.0, np.full(50, np.nan)) != _interval(0.0, np.full(50, np.nan))  # NaN: no interval


def test_the_groups_add_up_to_the_cases(compared, cases):
    t = compared.table()
    bins = information_bin(cases)
    for _, g in t.groupby(["comparison", "metric"]):
        assert g.loc[g["group"] == "overall", "n"].tolist() == [len(cases)]
        assert g.loc[g["group"] == "site", "n"].sum() == len(cases)
        strata = g[g["group"] == "fields recorded"]
        assert strata["n"].sum() == len(cases)
        assert list(strata["stratum"]) == [name for _, _, name in INFORMATION_BINS if (bins == name).any()]
    assert sum(compared.site_counts.values()) == compared.n == len(cases)
    assert compared.n_patients == len(cases) // 2


def test_a_model_compared_with_itself_differs_by_exactly_zero(three, cases):
    c = compare_models([three[0], three[0]], cases, n_bootstrap=200)
    t = c.table()
    assert (t["difference"] == 0).all()
    with_ci = t[t["ci_low"].notna()]
    assert len(with_ci) and (with_ci["ci_low"] == 0).all() and (with_ci["ci_high"] == 0).all()
    assert set(t["verdict"]) <= {"no clear difference", "no interval"}
    assert c.verdicts()[0].startswith("No clear difference between B and A in log-loss (+0.000 to +0.000)")


def test_the_bootstrap_resamples_patients_and_the_setting_is_one_for_all(three, cases):
    """Cases of one patient move together (duplicated cases: a wider interval than when each is
    its own patient); the default setting is A's training mix of sites, given to every model."""
    doubled = cases.iloc[np.repeat(np.arange(300), 2)].reset_index(drop=True)
    doubled["patient_id"] = [f"P{i // 2}" for i in range(len(doubled))]
    by_patient = compare_models(three[:2], doubled, n_bootstrap=300)
    by_case = compare_models(three[:2], doubled.drop(columns="patient_id"), n_bootstrap=300)
    assert by_patient.n_patients == 300 and by_case.n_patients == 600

    def width(c):
        r = c.table().query("stratum == 'all cases' and metric == 'log_loss'").iloc[0]
        return r["ci_high"] - r["ci_low"]

    assert width(by_patient) > 1.2 * width(by_case)
    a, b = three[:2]
    _, label_mix, _ = a.prior_.resolve("training")
    mix = np.bincount(a.label_site_, weights=label_mix, minlength=3)
    assert list(by_case.setting["mix"].values()) == pytest.approx(mix.tolist(), abs=1e-12)
    b_own = evaluate_model(b, doubled, target_prior=tuple(mix), n_bootstrap=0, with_robustness=False)
    assert by_case.own_figures()["B"]["log_loss"] == pytest.approx(b_own["calibrated"]["log_loss"], abs=1e-12)
    a_own = evaluate_model(a, doubled, n_bootstrap=0, with_robustness=False)  # A's own training mix
    assert by_case.own_figures()["A"]["log_loss"] == pytest.approx(a_own["calibrated"]["log_loss"], abs=1e-9)


def test_models_of_different_levels_compare_on_the_three_sites(compared):
    levels = {m["label"]: m["level"] for m in compared.models}
    assert levels["A"] == "subsite" and levels["C"] == "site"
    assert any("sums over the three sites" in n for n in compared.notes)
    figures = compared.own_figures()
    assert set(figures) == {"A", "B", "C"} and all(np.isfinite(list(f.values())).all() for f in figures.values())


def test_the_library_refuses_one_model_unlabelled_cases_and_a_bad_prior(three, cases):
    from netorigin.exceptions import InputError

    with pytest.raises(InputError, match="at least two"):
        compare_models(three[:1], cases)
    with pytest.raises(InputError, match="no label column"):
        compare_models(three[:2], cases.drop(columns=["primary_site", "primary_site_detail"]))
    with pytest.raises(InputError, match="'mars' is not one of"):
        compare_models(three[:2], cases, target_prior="mars")
    with pytest.raises(InputError, match="not a fitted SiteModel"):
        compare_models([three[0], "bundles/x"], cases)


def test_nothing_about_a_case_is_handed_to_tracking(monkeypatch, tiny_xgboost, cases, tmp_path):
    """Everything the comparison logs (params, metrics, tags, the note, the datasets, the artifacts)
    holds no case id and no patient id; the real store is scanned in test_integrations (slow)."""
    import netorigin.training._mlflow as mlflow_layer
    from netorigin.training import compare_run

    logged = {}
    monkeypatch.setattr(mlflow_layer, "log_run", lambda **kw: logged.update(kw) or {"run_id": "r1"})
    folder = str(tiny_xgboost[1])
    summary = compare_run([folder, folder], cases, n_bootstrap=50, tracking_uri="sqlite:///unused.db")
    assert summary["tracking"] == {"run_id": "r1"}
    text = json.dumps({k: v for k, v in logged.items() if k != "artifacts"}, default=str)
    text += "".join(v.decode() for v in logged["artifacts"].values())
    needles = list(cases["case_id"].astype(str)) + list(cases["patient_id"].astype(str))
    assert not [x for x in needles if x in text]
    assert logged["params"]["model.A.uri"] == folder and logged["params"]["data.n_patients"] == 300
    assert logged["metrics"]["B-A"]["all"]["log_loss"] == {"difference": 0.0, "ci_low": 0.0, "ci_high": 0.0}
    assert set(logged["artifacts"]) == {"comparison.csv", "comparison.md"}


def test_compare_on_the_command_line(tiny_xgboost, trained_kinds, cases, tmp_path):
    from netorigin.estimator import save_bundle
    from netorigin.io import write_table

    a, b = str(tiny_xgboost[1]), tmp_path / "latent"
    save_bundle(trained_kinds["latent-class"].model, b)
    write_table(cases, tmp_path / "cases.csv")
    r = run(
        "compare",
        a,
        b,
        "--data",
        tmp_path / "cases.csv",
        "--no-track",
        "--bootstrap",
        "100",
        "-o",
        "t.md",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert "B minus A (95% paired bootstrap interval over patients)" in r.stdout
    assert "fields recorded" in r.stdout and "pancreatic" in r.stdout and "For research use only" in r.stdout
    assert r.stdout.count(" than A on ") + r.stdout.count("No clear difference between B and A") == 1
    assert "| all cases | 600 |" in (tmp_path / "t.md").read_text()
    r = run(
        "compare",
        a,
        b,
        "--data",
        tmp_path / "cases.csv",
        "--no-track",
        "--bootstrap",
        "50",
        "--json",
        "-o",
        "t.csv",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["n"] == 600 and out["n_patients"] == 300 and out["run_id"] is None and len(out["verdicts"]) == 1
    import pandas as pd

    table = pd.read_csv(tmp_path / "t.csv")
    assert len(table) == len(out["rows"]) and set(table["metric"]) == set(METRICS)


def test_compare_errors_exit_2_without_a_traceback(tiny_xgboost, cases, tmp_path):
    from netorigin.io import write_table

    a = str(tiny_xgboost[1])
    write_table(cases, tmp_path / "cases.csv")
    write_table(cases.drop(columns=["primary_site", "primary_site_detail"]), tmp_path / "unlabelled.csv")
    data = ("--data", tmp_path / "cases.csv", "--no-track")
    for args, message in (
        ((a, *data), "compare needs at least two models; got one"),
        ((a, tmp_path / "nope", *data), f"model B ({tmp_path / 'nope'}): "),
        ((a, a, "--data", tmp_path / "unlabelled.csv", "--no-track"), "primary_site: the cohort has no label column"),
        ((a, a, *data, "--target-prior", "mars"), "'mars' is not one of"),
        ((a, a, *data, "--bootstrap", "-1"), "'--bootstrap'"),
        ((a, a, *data, "-o", tmp_path / "t.txt"), "must be a .csv or .md file"),
        ((a, a, "--data", tmp_path / "none.csv", "--no-track"), "none.csv"),
    ):
        r = run("compare", *args)
        assert r.returncode == 2 and message in r.stderr, (args, r.stderr)
        assert "Traceback" not in r.stderr
    r = run("evaluate", "--model", a, "--model", a, *data)
    assert r.returncode == 2 and "evaluate takes one --model; 2 were given" in r.stderr
    assert f"netorigin compare {a} {a} --data" in r.stderr and "Traceback" not in r.stderr
