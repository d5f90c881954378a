"""Every output form of a scored cohort: the site probabilities are the three p_<site> columns and
add up to 1, whatever the sub-sites of the model (one of which may be called "other"), and the
rows out are the rows in, in order."""

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from netorigin.cli import main
from netorigin.contract import SITES
from netorigin.literature import make_synthetic_cohort

P_SITES = [f"p_{s}" for s in SITES]


@pytest.fixture(scope="module")
def cohort_file(tmp_path_factory):
    c = make_synthetic_cohort(300, scenario="unknown-primary", random_state=3, workup="mixture")
    path = tmp_path_factory.mktemp("cohort") / "cohort.csv"
    c.drop(columns=["primary_site", "primary_site_detail"]).to_csv(path, index=False)
    return path


def _check(table: pd.DataFrame, n: int):
    assert len(table) == n
    p = table[P_SITES].to_numpy(dtype=float)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-6)
    sub = [c for c in table.columns if c.startswith("p_subsite_")]
    assert "p_subsite_other" in sub and len(sub) == 11
    np.testing.assert_allclose(table[sub].to_numpy(dtype=float).sum(axis=1), 1.0, atol=1e-6)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_score_to_a_file(every_detail_bundle, cohort_file, tmp_path, suffix):
    _, bundle = every_detail_bundle
    out = tmp_path / f"scored{suffix}"
    r = CliRunner().invoke(main, ["score", str(cohort_file), "--model", str(bundle), "-o", str(out)])
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    _check(table, 300)


def test_score_as_json(every_detail_bundle, cohort_file):
    _, bundle = every_detail_bundle
    r = CliRunner().invoke(main, ["score", str(cohort_file), "--model", str(bundle), "--json"])
    assert r.exit_code == 0, r.output
    _check(pd.DataFrame(json.loads(r.stdout)["cases"]), 300)


def test_the_mlflow_pyfunc(every_detail_bundle, cohort_file):
    from netorigin.training._pyfunc_model import answer, request_table

    model, _ = every_detail_bundle
    raw = pd.read_csv(cohort_file, dtype=str, keep_default_na=False)
    out = answer(model, request_table(raw), {})
    _check(out, 300)
    assert list(out["case_id"]) == list(raw["case_id"])


def test_one_case_report_keeps_the_sub_site_called_other_under_its_site(every_detail_bundle):
    from netorigin.contract import validate_case
    from netorigin.inference import case_report, score_cases

    model, _ = every_detail_bundle
    rep = case_report(score_cases(model, validate_case({"ihc_ttf1": "negative", "ihc_cdx2": "negative"}).cases), 0)
    assert abs(sum(rep["probabilities"].values()) - 1) < 1e-9
    assert "other" in rep["subsite_probabilities"]["other"]
    assert abs(sum(sum(v.values()) for v in rep["subsite_probabilities"].values()) - 1) < 1e-9


def test_eight_sub_sites_under_one_site_give_a_case_the_same_bits_alone_or_in_a_batch(every_detail_bundle):
    """numpy sums eight or more columns picked out of a batch in another order than one case's
    row; the site sums and the latent posteriors are added label by label so that they do not."""
    from netorigin.testing import assert_same_alone_and_in_batch

    model, _ = every_detail_bundle
    assert (model.label_site_ == 2).sum() >= 8
    cases = make_synthetic_cohort(40, scenario="unknown-primary", random_state=9, workup="mixture")
    cases = cases.drop(columns=["primary_site", "primary_site_detail"])
    assert_same_alone_and_in_batch(model.predict_proba, cases)
