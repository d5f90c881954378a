"""One rule reads a value, whatever the door: the same case through the command line (a YAML file),
the web form, the JSON API and the MLflow pyfunc gives the same canonical case and the same answer."""

import html
import json

import pytest
import yaml
from click.testing import CliRunner

from netorigin.cli import main
from netorigin.contract import validate_case

pytest.importorskip("httpx2")
from starlette.testclient import TestClient  # noqa: E402

CASES = [
    {
        "case_id": "007",
        "age_years": "61",
        "sex": "F",
        "ihc_cdx2": "Focal",
        "hormonal_syndrome": "None",
        "largest_liver_lesion_cm": "35 mm",
        "mesenteric_mass": "yes",
        "ki67_percent": "4%",
        "ihc_daxx_atrx": "partial loss",
    },
    {
        "case_id": "1e3",
        "ihc_ttf1": "neg",
        "ihc_isl1": "POS",
        "grade": "2",
        "mitoses_per_2mm2": "<2",
        "serum_cga_x_uln": "3.5x",
        "alt_status": "positive",
    },
    {"case_id": "x", "carcinoid_syndrome": "y", "urine_5hiaa": "high", "ihc_satb2": "1+"},
    {"case_id": "ki", "ki67_percent": "<1%", "grade": "G1", "ihc_cdx2": "negative"},  # as reports write it
]


@pytest.fixture(scope="module")
def client(default_model):
    from netorigin.app._serve import create_app

    return TestClient(create_app(default_model))


def _cli(case, tmp_path):
    p = tmp_path / f"{case['case_id']}.yaml"
    p.write_text(yaml.safe_dump(case))
    r = CliRunner().invoke(main, ["score", str(p), "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.mark.parametrize("case", CASES, ids=[c["case_id"] for c in CASES])
def test_the_four_doors_read_a_case_alike(case, client, default_model, tmp_path):
    import pandas as pd

    from netorigin.app._serve import form_values
    from netorigin.tracking._pyfunc_model import answer, request_table

    canonical = validate_case(case).table
    cli = _cli(case, tmp_path)
    api = client.post("/api/score", json=case).json()
    body = "&".join(f"{k}={v}" for k, v in case.items()).replace("%", "%25").replace("+", "%2B").replace(" ", "+")
    form = form_values(body.encode())
    page = client.post("/score", content=body.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"})
    mlf = answer(default_model, request_table(pd.DataFrame([case], dtype=object)), {}).iloc[0]

    pd.testing.assert_frame_equal(validate_case(form).table, canonical)
    assert cli["inputs"] == api["inputs"] and cli["case_id"] == api["case_id"] == case["case_id"] == mlf["case_id"]
    assert cli["probabilities"] == api["probabilities"]
    for s, p in cli["probabilities"].items():
        assert abs(mlf[f"p_{s}"] - p) < 1e-12
    assert cli["prediction_set"] == api["prediction_set"] == mlf["prediction_set"].split(" or ")
    assert cli["set_meaning"] == api["set_meaning"] == mlf["set_meaning"]
    assert page.status_code == 200 and html.escape(cli["set_meaning"], quote=True) in page.text
    # the same next test and panel on every output, in the same words
    from netorigin.inference import advice_lines

    assert cli["next_tests"] == api["next_tests"] and cli["next_panels"] == api["next_panels"]
    assert mlf["next_test"] == (cli["next_tests"][0]["label"] if cli["next_tests"] else "")
    assert mlf["next_panel"] == (cli["next_panels"][0]["label"] if cli["next_panels"] else "")
    text = CliRunner().invoke(main, ["score", str(tmp_path / f"{case['case_id']}.yaml")]).stdout
    for line in advice_lines(cli):
        assert line in " ".join(text.split()), line
        assert html.escape(line.split(". ", 1)[-1] if line[0].isdigit() else line, quote=True) in page.text
