"""Real-world cohorts: mappings that find the columns, invalid rows set aside with an account."""

import re

import pandas as pd
import pytest
from _helpers import run

from netorigin.contract import guess_field, validate_cohort
from netorigin.io import load_cohort, suggest_mapping

REGISTRY_COLUMNS = {
    "CDX-2": "ihc_cdx2",
    "Islet1": "ihc_isl1",
    "ISL-1": "ihc_isl1",
    "Isl1": "ihc_isl1",
    "Islet-1": "ihc_isl1",
    "PAX-8": "ihc_pax8",
    "Flushing/diarrhoea": "carcinoid_syndrome",
    "Histology": "differentiation",
    "Mesenteric fibrosis": "mesenteric_mass",
    "No. liver mets": "liver_lesions",
    "Largest met (mm)": "largest_liver_lesion_cm",
    "TTF 1": "ihc_ttf1",
    "Ki-67 (%)": "ki67_percent",
    "SATB-2": "ihc_satb2",
    "Gender": "sex",
}


@pytest.mark.parametrize("column, field", sorted(REGISTRY_COLUMNS.items()))
def test_ordinary_column_names_find_their_field(column, field):
    g = guess_field(column)
    assert g is not None and g.field == field, (column, g)


def test_names_that_are_not_fields_are_left_alone():
    for column in ("treatment", "hospital", "date of surgery", "comment"):
        assert guess_field(column) is None, column


def _registry():
    return pd.DataFrame(
        {
            "Patient": ["p1", "p2", "p3"],
            "Age": ["61", "55", "70"],
            "CDX-2": ["pos", "neg", "neg"],
            "Islet1": ["neg", "pos", "neg"],
            "PAX-8": ["neg", "pos", "n.d."],
            "Flushing/diarrhoea": ["yes", "no", "no"],
            "Histology": ["well differentiated", "WD NET", "well differentiated"],
            "Mesenteric fibrosis": ["yes", "no", "no"],
            "No. liver mets": ["multiple", "oligo", "solitary"],
            "Largest met (mm)": ["35", "60", "22"],
            "Primary": ["Ileum", "Pancreas", "Lung"],
        }
    )


def test_a_registry_cohort_gets_a_draft_that_places_every_column_and_marks_guesses(tmp_path):
    draft = suggest_mapping(_registry(), source="registry.csv")
    for column, field in [
        ("CDX-2", "ihc_cdx2"),
        ("Islet1", "ihc_isl1"),
        ("PAX-8", "ihc_pax8"),
        ("Flushing/diarrhoea", "carcinoid_syndrome"),
        ("Histology", "differentiation"),
        ("Mesenteric fibrosis", "mesenteric_mass"),
        ("No. liver mets", "liver_lesions"),
        ("Largest met (mm)", "largest_liver_lesion_cm"),
    ]:
        line = next(ln for ln in draft.splitlines() if ln.strip().startswith(f'"{column}"'))
        assert f": {field}" in line and "matched" in line, line
    assert '"Islet1": ihc_isl1  # GUESS: confirm (matched the synonym' in draft  # a synonym is a guess
    assert '"CDX-2": ihc_cdx2  # matched its name' in draft  # its own name, punctuation aside, is not
    assert "largest_liver_lesion_cm: {from: mm}" in draft
    # the confirmed draft validates and trains
    data, mapping = tmp_path / "registry.csv", tmp_path / "m.yaml"
    _registry().to_csv(data, index=False)
    mapping.write_text(draft)
    v = load_cohort(data, mapping=mapping)
    assert v.table.loc[0, "ihc_cdx2"] == "positive" and v.table.loc[1, "ihc_isl1"] == "positive"
    assert v.table.loc[0, "largest_liver_lesion_cm"] == pytest.approx(3.5)
    assert v.table.loc[1, "differentiation"] == "well" and pd.isna(v.table.loc[2, "ihc_pax8"])


def test_a_column_that_is_a_field_under_another_name_is_refused_and_a_look_alike_is_warned_about(tmp_path):
    """Never silently unused: "CDX-2" or "cdx2_ihc" is the CDX2 field under another name (every word of
    it belongs to the field): refused, naming the field. "ki67 method" has a word of its own: it may
    be another thing, so it is carried through with a loud warning."""
    from netorigin.exceptions import ValidationError

    for name in ("CDX-2", "cdx2_ihc", "CDX2 result"):
        with pytest.raises(
            ValidationError, match=f"{re.escape(repr(name))} is not a field.*ihc_cdx2.*rename it, or map it"
        ):
            validate_cohort(pd.DataFrame({"case_id": ["a", "b"], name: ["pos", "neg"], "hospital": ["x", "y"]}))
    v = validate_cohort(
        pd.DataFrame({"case_id": ["a", "b"], "ki67 method": ["MIB-1", "MIB-1"], "hospital": ["x", "y"]})
    )
    warn = [n for n in v.notices if n.kind == "unmapped_field"]
    assert len(warn) == 1 and "'ki67 method' looks like the contract field ki67_percent" in warn[0].message
    assert "NOT used" in warn[0].message


def test_skip_invalid_sets_rows_aside_with_reasons_and_the_numbers_add_up(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(
        "case_id,age_years,ihc_cdx2,primary_site\na,61,positive,ileal\nb,500,negative,pancreatic\n"
        "c,50,maybe,other\nc,40,negative,other\nd,40,negative,other\ne,33,negative,pancreatic\n"
    )
    v = load_cohort(p, skip_invalid=True)
    assert list(v.table["case_id"]) == ["a", "d", "e"]
    assert v.n_read == 6 and v.n_cases == 3 and len(v.set_aside) == 3
    assert list(v.set_aside["row"]) == [2, 3, 4]
    assert "age (age_years): '500'" in v.set_aside.loc[0, "reason"] and "maybe" in v.set_aside.loc[1, "reason"]
    assert "used by 2 rows" in v.set_aside.loc[2, "reason"]
    r = run("validate", str(p), "--skip-invalid", "--set-aside", str(tmp_path / "aside.csv"))
    assert r.returncode == 0 and "6 case(s) read: 3 used, 3 set aside" in r.stdout
    assert len(pd.read_csv(tmp_path / "aside.csv")) == 3
    r = run("score", str(p), "--skip-invalid", "-o", str(tmp_path / "o.csv"), cwd=tmp_path)
    assert r.returncode == 0 and len(pd.read_csv(tmp_path / "o.csv")) == 3
    assert (tmp_path / "c.set-aside.csv").is_file()
    # without the flag, the cohort is refused, naming every problem
    r = run("validate", str(p))
    assert r.returncode == 2 and "3 problems found" in r.stderr


def test_skip_invalid_never_hides_a_problem_with_the_header(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("case_id,age,ihc_cdx2\na,61,positive\nb,500,negative\n")
    r = run("validate", str(p), "--skip-invalid")
    assert r.returncode == 2 and "'age' is not a field of the case contract; did you mean 'age_years'" in r.stderr


def test_a_registry_export_with_ordinary_names_maps_validates_and_trains(tmp_path):
    """Issue 16's acceptance: a registry-style cohort with the names people use gets a draft that
    places each column; the draft, confirmed, validates and trains."""
    from netorigin.literature import make_synthetic_cohort

    c = make_synthetic_cohort(400, scenario="population", random_state=3, workup="mixture")
    names = {
        "case_id": "Patient",
        "age_years": "Age",
        "ihc_cdx2": "CDX-2",
        "ihc_isl1": "Islet1",
        "ihc_pax8": "PAX-8",
        "carcinoid_syndrome": "Flushing/diarrhoea",
        "differentiation": "Histology",
        "mesenteric_mass": "Mesenteric fibrosis",
        "liver_lesions": "No. liver mets",
        "largest_liver_lesion_cm": "Largest met (mm)",
        "primary_site_detail": "Primary",
    }
    reg = c[list(names)].rename(columns=names).astype(object)
    reg["Largest met (mm)"] = (c["largest_liver_lesion_cm"] * 10).round(0)
    for col in ("CDX-2", "Islet1", "PAX-8"):
        reg[col] = reg[col].map({"positive": "pos", "negative": "neg", "equivocal": "equiv"})
    reg["Histology"] = reg["Histology"].map({"well": "well differentiated", "poor": "poorly differentiated"})
    reg["Primary"] = reg["Primary"].astype(str).str.capitalize()
    data = tmp_path / "registry.csv"
    reg.to_csv(data, index=False)
    r = run("map", "suggest", str(data), "-o", str(tmp_path / "draft.yaml"))
    assert r.returncode == 0, r.stderr
    draft = (tmp_path / "draft.yaml").read_text()
    for field, column in names.items():
        assert any(ln.strip().startswith(f'"{column}"') and f": {field}" in ln for ln in draft.splitlines()), column
    confirmed = draft.replace("  # GUESS: confirm", "  # confirmed")
    (tmp_path / "mapping.yaml").write_text(confirmed)
    r = run("validate", str(data), "--mapping", str(tmp_path / "mapping.yaml"))
    assert r.returncode == 0 and "400 cases" in r.stdout, r.stderr
    r = run(
        "train",
        "--data",
        str(data),
        "--mapping",
        str(tmp_path / "mapping.yaml"),
        "--kind",
        "logistic",
        "--out",
        str(tmp_path / "bundle"),
        "--no-track",
        "--bootstrap",
        "0",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "bundle" / "manifest.json").is_file()


def test_rows_set_aside_in_a_second_pass_are_numbered_as_in_the_file(tmp_path):
    """A mapping problem sets row 2 aside first; the contract problem found next (row 3 of the file)
    must be reported as row 3, not as its position in what was re-validated."""
    data, mapping = tmp_path / "m.csv", tmp_path / "m.yaml"
    data.write_text("Patient,CDX2 IHC,Age at diagnosis\np1,pos,61\np2,maybe,50\np3,neg,abc\np4,neg,40\n")
    mapping.write_text(
        'version: 1\ncolumns: {"Patient": case_id, "CDX2 IHC": ihc_cdx2, "Age at diagnosis": age_years}\n'
        "values:\n  ihc_cdx2: {pos: positive, neg: negative}\n"
    )
    v = load_cohort(data, mapping=mapping, skip_invalid=True)
    assert list(v.table["case_id"]) == ["p1", "p4"]
    assert list(v.set_aside["row"]) == [2, 3]
    assert v.set_aside.loc[1, "reason"].startswith("row 3 (case p3): age (age_years): 'abc'")


def test_warnings_after_rows_were_set_aside_quote_the_rows_as_numbered_in_the_file(tmp_path):
    p = tmp_path / "c.csv"
    rows = ["case_id,ihc_cdx2,grade,ki67_percent"] + [
        f"c{i},{'maybe' if i < 3 else 'positive'},G1,1" for i in range(1, 8)
    ]
    rows.append("c8,positive,G1,30")  # grade lower than Ki-67 says: a warning on file row 8
    p.write_text("\n".join(rows) + "\n")
    v = load_cohort(p, skip_invalid=True)
    warn = [n for n in v.notices if n.kind == "inconsistent"]
    assert len(warn) == 1 and warn[0].message.startswith("row 8 (c8): the grade is lower")
    assert warn[0].rows == (6,)  # its place among the rows used
