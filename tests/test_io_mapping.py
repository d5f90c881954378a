"""Bring your own cohort: mapping files, `map suggest`, and the contract as JSON Schema / CSV."""

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from _helpers import run_at_root as run

from netorigin.exceptions import InputError, ValidationError
from netorigin.io import load_cases, load_mapping, read_table, suggest_mapping

ROOT = Path(__file__).resolve().parents[1]


COHORT = ROOT / "tests" / "data" / "registry_cohort.csv"
MAPPING = ROOT / "tests" / "data" / "registry_mapping.yaml"


def test_registry_cohort_validates_with_its_mapping():
    v = load_cases(COHORT, mapping=MAPPING)
    t = v.table
    raw = pd.read_csv(COHORT, dtype=str, keep_default_na=False)
    assert v.n_cases == 900 and v.extra_columns == ["First-line treatment"]
    # units converted: Ki-67 fraction -> percent, mm -> cm
    assert t["ki67_percent"].iloc[0] == pytest.approx(float(raw["Ki67 fraction"].iloc[0]) * 100)
    i = raw.index[raw["Largest liver lesion (mm)"] != ""][0]
    assert t["largest_liver_lesion_cm"].iloc[i] == pytest.approx(float(raw["Largest liver lesion (mm)"].iloc[i]) / 10)
    # "n.d." means not done; the detail gives the label and is kept
    assert t.loc[raw["CDX2 IHC"] == "n.d.", "ihc_cdx2"].isna().all()
    assert (t.loc[raw["Primary tumour site"] == "Jejunum", "primary_site"] == "ileal").all()
    assert (t.loc[raw["Primary tumour site"] == "Rectum", "primary_site_detail"] == "rectum").all()


def test_an_unmapped_value_fails_naming_it(tmp_path):
    bad = tmp_path / "c.csv"
    text = COHORT.read_text().replace(",pos,", ",positiv,", 1)
    bad.write_text(text)
    with pytest.raises(ValidationError, match="'positiv' is not covered by the mapping's values for ihc_"):
        load_cases(bad, mapping=MAPPING)
    m = yaml.safe_load(MAPPING.read_text())
    m["unlisted"] = {"ihc_cdx2": "keep", "ihc_isl1": "keep", "ihc_ttf1": "keep"}
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(m))
    with pytest.raises(ValidationError, match="did you mean 'positive'"):  # kept, then the contract speaks
        load_cases(bad, mapping=tmp_path / "m.yaml")


def test_a_mapped_column_reads_each_value_as_the_contract_does(tmp_path):
    """Through a mapping's values and units, a not-done word is not done and a number is the
    number the contract reads, as in the same file without a mapping (one reading of a value)."""
    (tmp_path / "m.yaml").write_text(
        "version: 1\ncolumns: {CDX2: ihc_cdx2, size_mm: largest_liver_lesion_cm}\n"
        "values: {ihc_cdx2: {P: positive, N: negative}}\nunits: {largest_liver_lesion_cm: {from: mm}}\n"
    )
    rows = [("A", "P", "35"), ("B", "ND", "ND"), ("C", "N", " 40 "), ("D", "n/a", "n/a"), ("E", "N", "1e1")]
    (tmp_path / "mapped.csv").write_text("case_id,CDX2,size_mm\n" + "".join(",".join(r) + "\n" for r in rows))
    plain = {"P": "positive", "N": "negative"}
    (tmp_path / "plain.csv").write_text(
        "case_id,ihc_cdx2,largest_liver_lesion_cm\n"
        + "".join(f"{i},{plain.get(c, c)},{s if s.strip() in ('ND', 'n/a') else float(s) / 10}\n" for i, c, s in rows)
    )
    mapped = load_cases(tmp_path / "mapped.csv", mapping=tmp_path / "m.yaml").table
    pd.testing.assert_frame_equal(mapped, load_cases(tmp_path / "plain.csv").table)


@pytest.mark.parametrize(
    "edit, message",
    [
        ({"columns": {"X": "ihc_cdx9"}}, "not a field of the case contract"),
        ({"values": {"ihc_cdx2": {"pos": "maybe"}}}, "'maybe' is not one of positive"),
        ({"units": {"ki67_percent": {"from": "furlongs"}}}, "units: ki67_percent"),
        ({"unlisted": "ignore"}, "unlisted: 'ignore'"),
        ({"colums": {}}, "unknown key"),
    ],
)
def test_bad_mapping_files_are_named(tmp_path, edit, message):
    m = yaml.safe_load(MAPPING.read_text())
    m.update(edit)
    p = tmp_path / "m.yaml"
    p.write_text(yaml.safe_dump(m))
    with pytest.raises(InputError, match=message):
        load_mapping(p)


def test_suggested_mapping_marks_guesses_and_validates_once_confirmed(tmp_path):
    draft = suggest_mapping(read_table(COHORT), source="registry")
    assert draft.count("# GUESS: confirm") >= 13 and "# UNPLACED:" not in draft
    assert '"Primary tumour site": primary_site_detail  # GUESS' in draft
    assert "{from: fraction}" in draft and "{from: mm}" in draft
    p = tmp_path / "draft.yaml"
    p.write_text(draft)  # confirming a guess = leaving it as it is
    assert load_cases(COHORT, mapping=p).n_cases == 900


def test_values_it_cannot_place_are_listed_not_dropped():
    raw = pd.DataFrame({"Patient": ["a", "b"], "CDX2 stain": ["pos", "smudge"]})
    draft = suggest_mapping(raw)
    assert '"smudge": null  # UNPLACED' in draft


def test_mapping_flag_on_commands_trains_and_scores(tmp_path):
    m = str(MAPPING)
    assert run("validate", str(COHORT), "--mapping", m).returncode == 0
    assert run("cohort", "describe", str(COHORT), "--mapping", m).returncode == 0
    r = run(
        "train",
        "--data",
        str(COHORT),
        "--mapping",
        m,
        "--model",
        "literature",
        "--out",
        str(tmp_path / "b"),
        "--no-track",
        "--bootstrap",
        "10",
    )
    assert r.returncode == 0, r.stderr
    r = run("score", str(COHORT), "--mapping", m, "--model", str(tmp_path / "b"), "-o", str(tmp_path / "s.csv"))
    assert r.returncode == 0, r.stderr
    assert len(pd.read_csv(tmp_path / "s.csv")) == 900
    r = run(
        "evaluate",
        "--model",
        str(tmp_path / "b"),
        "--data",
        str(COHORT),
        "--mapping",
        m,
        "--no-track",
        "--bootstrap",
        "10",
        "--json",
    )
    assert r.returncode == 0 and json.loads(r.stdout)["n"] == 900
    r = run("validate", str(COHORT))
    assert r.returncode == 2 and "no case_id column" in r.stderr


def test_json_schema_accepts_the_example_and_rejects_a_bad_value():
    import jsonschema

    r = run("schema", "--format", "json-schema")
    schema = json.loads(r.stdout)
    case = yaml.safe_load((ROOT / "data" / "examples" / "example_case.yaml").read_text())
    jsonschema.validate(case, schema)
    for field, value in (("ihc_cdx2", "postive"), ("age_years", 200), ("grade", "G4")):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**case, field: value}, schema)


def test_csv_and_markdown_exports_list_every_field():
    from netorigin import FIELDS

    csv_text = run("schema", "--format", "csv").stdout
    rows = pd.read_csv(__import__("io").StringIO(csv_text))
    assert list(rows["field"]) == list(FIELDS)
    md = run("schema").stdout
    assert all(f"| {f} |" in md for f in FIELDS)
