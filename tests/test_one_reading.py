"""One rule reads a value, whatever the door: the same case through the command line (a YAML file),
the web form, the JSON API and the MLflow pyfunc gives the same canonical case and the same answer."""

import html
import json
from urllib.parse import urlencode

import pandas as pd
import pytest
import yaml
from _one_reading_cases import BASE, MLFLOW_DOORS, REFUSED, TRICKY, csv_text, mlflow_request
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
    from netorigin.training._pyfunc_model import answer, request_table

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


# --------------------------------------------------------------------------- every door, tricky values
# The same case, written the same way, sent through every door: the command line (a one-case CSV),
# the web form, the JSON API and MLflow's scoring server (CSV, dataframe_split, dataframe_records,
# instances, inputs as records and as columns), each as `mlflow models serve` parses it. Every door
# gives the same answer or the same refusal. The cases: tests/_one_reading_cases.py.


def _reading_cli(case: dict, tmp_path):
    """("scored", probabilities, inputs) or ("refused", message): `netorigin score case.csv --as case`."""
    p = tmp_path / "case.csv"
    p.write_text(csv_text(case))
    r = CliRunner().invoke(main, ["score", str(p), "--as", "case", "--json"])
    if r.exit_code == 2:
        return REFUSED, r.stderr
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    return "scored", [out["probabilities"][s] for s in ("ileal", "pancreatic", "other")], out


def _given(table: pd.DataFrame) -> dict:
    """A one-case canonical table's values, not-done fields left out."""
    return {k: v for k, v in table.iloc[0].items() if v == v and v is not None}


def _reading_mlflow(post, door: str, case: dict):
    status, ans = post(*mlflow_request(door, case))
    if status != 200:
        assert status == 400 and "Traceback" not in json.dumps(ans), (status, ans)
        return REFUSED, ans["message"]
    (row,) = ans["predictions"]
    if row["status"].startswith("not scored: invalid input"):
        return REFUSED, row["status"]
    assert row["status"] == "scored", row["status"]
    return "scored", [row[f"p_{s}"] for s in ("ileal", "pancreatic", "other")], row


@pytest.fixture(scope="module")
def cli_readings(tmp_path_factory):
    """Each tricky case as the command line reads it (the reference), checked against the contract."""
    from netorigin.io import load_cases

    out = {}
    for field, text, reading in TRICKY:
        folder = tmp_path_factory.mktemp("case")
        case = {**BASE, field: text}
        cli = _reading_cli(case, folder)
        if reading is REFUSED:
            assert cli[0] == REFUSED and field in cli[1], cli
        else:
            canonical = load_cases(folder / "case.csv", kind="case").table
            got = canonical[field].iloc[0] if field in canonical else None
            assert (got if got == got else None) == reading, (field, text, got, reading)
            cli = (*cli, _given(canonical))
        out[field, text] = cli
    return out


def _same(door: str, got, cli, field: str) -> None:
    assert got[0] == cli[0], (door, got, cli[:2])
    if cli[0] == REFUSED:
        assert field in got[1], (door, got[1][:300])
    elif got[1] is not None:
        assert max(abs(a - b) for a, b in zip(got[1], cli[1])) < 1e-12, (door, got[1], cli[1])


@pytest.mark.parametrize(("field", "text", "reading"), TRICKY, ids=[f"{f}={t!r}" for f, t, _ in TRICKY])
def test_a_tricky_value_reads_alike_through_every_door(
    field, text, reading, client, served_default_model, cli_readings
):
    """One case per request: the JSON API, the web form and MLflow serving's CSV as the command line."""
    from netorigin.app._serve import form_values

    _, post = served_default_model
    case = {**BASE, field: text}
    cli = cli_readings[field, text]
    _same("mlflow csv", _reading_mlflow(post, "csv", case), cli, field)
    api = client.post("/api/score", json=case)
    if api.status_code == 422:
        _same("api", (REFUSED, api.json()["error"]), cli, field)
    else:
        _same("api", ("scored", [api.json()["probabilities"][s] for s in ("ileal", "pancreatic", "other")]), cli, field)
        assert api.json()["inputs"] == cli[2]["inputs"] and api.json()["case_id"] == case["case_id"]
    body = urlencode(case).encode()
    page = client.post("/score", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    _same("form", (REFUSED, html.unescape(page.text)) if page.status_code == 422 else ("scored", None), cli, field)
    if cli[0] != REFUSED:  # the page reads the case the command line reads (it sends no blank field)
        assert _given(validate_case({k: v for k, v in form_values(body).items() if v.strip()}).table) == cli[3]


@pytest.mark.parametrize("door", MLFLOW_DOORS)
def test_every_mlflow_format_reads_the_tricky_values_as_the_command_line(door, served_default_model, cli_readings):
    """All the cases in one request, in each format MLflow serving takes: each row answered as the
    command line answers the case alone (its neighbours never change how a value is read)."""
    _, post = served_default_model
    rows = [(f, t) for f, t, _ in TRICKY if f not in ("treatment", "case_id")]
    fields = list(dict.fromkeys([*BASE, *(f for f, _ in rows)]))
    cases = [
        {**{f: "" for f in fields}, **BASE, "case_id": f"T{i}", field: text} for i, (field, text) in enumerate(rows)
    ]
    if door in ("dataframe_records", "instances", "inputs"):  # records name only their own fields
        cases = [{k: v for k, v in c.items() if k in BASE or k == f} for c, (f, _) in zip(cases, rows)]
    status, ans = post(*mlflow_request(door, cases))
    assert status == 200, ans
    assert [r["case_id"] for r in ans["predictions"]] == [c["case_id"] for c in cases]
    for (field, text), row in zip(rows, ans["predictions"]):
        refused = row["status"].startswith("not scored: invalid input")
        got = (
            (REFUSED, row["status"])
            if refused
            else ("scored", [row[f"p_{s}"] for s in ("ileal", "pancreatic", "other")])
        )
        _same(f"{door} {field}={text!r}", got, cli_readings[field, text], field)
    # a column that is not a field, and identifiers as written
    for field in ("treatment", "case_id"):
        text = next(t for f, t, _ in TRICKY if f == field)
        _same(door, _reading_mlflow(post, door, {**BASE, field: text}), cli_readings[field, text], field)


def test_the_tricky_values_change_the_answer(cli_readings):
    """The cases above can tell readings apart: yes, no (None) and not done (a blank) give three
    answers, and so do grades 1 and 2 and not done."""
    p = {t: tuple(cli_readings["mesenteric_mass", t][1]) for t in ("1", "None", "")}
    assert len(set(p.values())) == 3, p
    g = {t: tuple(cli_readings["grade", t][1]) for t in ("1.0", "2")}
    assert len({*g.values(), tuple(cli_readings["mesenteric_mass", ""][1])}) == 3, g
