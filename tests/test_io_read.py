"""Reading cohorts and cases from files: formats, encodings, and clear errors."""

import json

import pandas as pd
import pytest

from netorigin import InputError, ValidationError, load_cases, read_table, write_table


def test_csv_with_byte_order_mark_reads(tmp_path):
    p = tmp_path / "c.csv"
    p.write_bytes("\ufeffcase_id,sex\na,M\n".encode("utf-8"))
    assert load_cases(p).table.loc[0, "sex"] == "male"


def test_latin1_file_is_refused_with_position(tmp_path):
    p = tmp_path / "c.csv"
    p.write_bytes("case_id,comment\na,caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text"):
        load_cases(p)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary", "binary"),
        (b"case_id,sex\n", "header but no rows"),
    ],
)
def test_unusable_files(tmp_path, content, message):
    p = tmp_path / "c.csv"
    p.write_bytes(content)
    with pytest.raises((InputError, ValidationError), match=message):
        load_cases(p)


def test_duplicate_csv_headers_are_kept_for_validation(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("case_id,sex,sex\na,M,F\n")
    assert list(read_table(p).columns) == ["case_id", "sex", "sex"]
    with pytest.raises(ValidationError, match="appears more than once"):
        load_cases(p)


def test_one_row_csv_without_case_id_is_a_case(tmp_path):
    p = tmp_path / "case.csv"
    p.write_text("ihc_cdx2,grade\n+,2\n")
    v = load_cases(p)
    assert v.n_cases == 1 and "case_id" not in v.table.columns
    with pytest.raises(ValidationError, match="no case_id column"):
        load_cases(p, kind="cohort")


def test_yaml_and_json_cases(tmp_path):
    y = tmp_path / "case.yaml"
    y.write_text("ihc_cdx2: yes\ngrade: 2\nihc_isl1:\nmitoses_per_2mm2: <2\n")
    v = load_cases(y)
    assert v.table.loc[0, "ihc_cdx2"] == "positive" and pd.isna(v.table.loc[0, "ihc_isl1"])
    j = tmp_path / "case.json"
    j.write_text(json.dumps({"ihc_cdx2": "neg", "ki67_percent": 3}))
    assert load_cases(j).table.loc[0, "ki67_percent"] == 3.0


@pytest.mark.parametrize(
    "text, message",
    [
        ("ihc_cdx2: [unclosed", "not valid YAML"),
        ("- a\n- b\n", "one mapping"),
        ("just text", "one mapping"),
    ],
)
def test_bad_yaml(tmp_path, text, message):
    p = tmp_path / "case.yaml"
    p.write_text(text)
    with pytest.raises(InputError, match=message):
        load_cases(p)


def test_parquet_round_trip_keeps_canonical_values(tmp_path):
    raw = pd.DataFrame({"case_id": ["a", "b"], "ihc_cdx2": ["+", None], "ki67_percent": [3.0, None]})
    v = load_cases(write_table(raw, tmp_path / "c.parquet"))
    assert v.table["ihc_cdx2"].tolist()[0] == "positive" and pd.isna(v.table["ihc_cdx2"].tolist()[1])


def test_missing_file_and_unknown_suffix(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_cases(tmp_path / "nope.csv")
    p = tmp_path / "c.xlsx"
    p.write_text("x")
    with pytest.raises(InputError, match="unknown table format"):
        load_cases(p)
