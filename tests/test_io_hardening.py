"""Careless and hostile input: nothing lost or changed silently, parsers that cannot be abused."""

import pandas as pd
import pytest
from _helpers import run

from netorigin.exceptions import InputError, ValidationError
from netorigin.io import load_cases, load_mapping, read_case_mapping, read_table, write_table


def test_a_quote_left_open_in_a_free_text_column_is_refused_naming_the_rows(tmp_path):
    p = tmp_path / "c.csv"
    # the quote opened on line 3 closes on line 5: three cases would vanish into one note
    p.write_text(
        'case_id,note,ihc_cdx2\na,fine,positive\nb,"oops,negative\nc,x,positive\nd,y",negative\ne,z,positive\n'
    )
    with pytest.raises(ValidationError, match=r"row 2 spans lines 3-5.*unbalanced quote"):
        read_table(p)
    r = run("validate", str(p))
    assert r.returncode == 2 and "spans lines" in r.stderr and "Traceback" not in r.stderr


def test_a_quoted_free_text_cell_with_line_breaks_is_read_when_it_cannot_be_rows(tmp_path):
    """A common export of notes: the quote is balanced and no line inside it reads as a row."""
    p = tmp_path / "c.csv"
    p.write_text('case_id,note,ihc_cdx2\na,"seen twice;\nreferred, then\nbiopsied",positive\nb,plain,negative\n')
    t = read_table(p)
    assert list(t["case_id"]) == ["a", "b"] and t.loc[0, "note"] == "seen twice;\nreferred, then\nbiopsied"


def test_a_truncated_row_is_refused_not_read_as_tests_not_done(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("case_id,age_years,ihc_cdx2,ihc_ttf1\na,50,positive,negative\nb,61\nc,40,negative,negative,extra\n")
    with pytest.raises(
        ValidationError,
        match=r"2 row\(s\) do not have the header's 4 fields: row 2 \(line 3\) has 2, "
        r"row 3 \(line 4\) has 5",
    ):
        read_table(p)


@pytest.mark.parametrize(
    "text, message",
    [
        ("ihc_cdx2: positive\nihc_cdx2: negative\n", "key 'ihc_cdx2' appears twice"),
        ("a: &x [1, 2]\nb: *x\n", "anchors and aliases"),
        ("a: " + "[" * 200 + "]" * 200 + "\n", "nested more than"),
    ],
)
def test_case_files_are_read_strictly(tmp_path, text, message):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    with pytest.raises(InputError, match=message):
        read_case_mapping(p)


def test_json_case_with_a_duplicate_key_is_refused(tmp_path):
    p = tmp_path / "c.json"
    p.write_text('{"ihc_cdx2": "positive", "ihc_cdx2": "negative"}')
    with pytest.raises(InputError, match="key 'ihc_cdx2' appears twice"):
        read_case_mapping(p)


def test_yaml_scalars_stay_as_written(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("case_id: 000123\nihc_cdx2: on\nsex: F\n")
    assert read_case_mapping(p)["case_id"] == "000123"
    with pytest.raises(ValidationError, match=r"CDX2 \(ihc_cdx2\): 'on' is not one of positive"):
        load_cases(p)  # "on" is not a result; YAML 1.1 would have read it as "positive" (true)


def test_the_size_limit_is_enforced_while_reading(tmp_path):
    p = tmp_path / "c.yaml"
    p.symlink_to("/dev/zero")
    with pytest.raises(InputError, match="larger than 1,000,000 bytes"):
        read_case_mapping(p)
    wide = tmp_path / "wide.yaml"
    wide.write_text("".join(f"k{i}: 1\n" for i in range(5000)))
    with pytest.raises(InputError, match="5,000 keys is not one case"):
        read_case_mapping(wide)


def test_case_ids_are_kept_exactly_and_control_characters_refused(tmp_path):
    t = pd.DataFrame({"case_id": [" a ", "b"], "ihc_cdx2": ["positive", "negative"]})
    from netorigin.contract import validate_cohort

    assert validate_cohort(t).table["case_id"].tolist() == [" a ", "b"]
    with pytest.raises(ValidationError, match="control character"):
        validate_cohort(pd.DataFrame({"case_id": ["a\nb", "c"]}))
    with pytest.raises(ValidationError, match="control character"):
        validate_cohort(pd.DataFrame({"case_id": ["\x1b[31mred", "c"]}))


def test_mapping_files_refuse_nan_factors_lists_and_duplicates(tmp_path):
    p = tmp_path / "m.yaml"
    for text, msg in (
        ("units: {age_years: {multiply: .nan}}\n", "multiply: a finite number > 0"),
        ("columns: [a, b]\n", "columns: expected a mapping"),
        ("columns: {A: age_years}\ncolumns: {B: sex}\n", "appears twice"),
        ("a: &x 1\nb: *x\n", "anchors and aliases"),
    ):
        p.write_text(text)
        with pytest.raises(InputError, match=msg):
            load_mapping(p)


def test_csv_outputs_neutralise_formulas_and_keep_colliding_input_columns(tmp_path):
    t = pd.DataFrame({"case_id": ['=HYPERLINK("x")', "b"], "x": ["@SUM(A1)", "plain"], "n": [-3.0, 2.0]})
    from netorigin.io import neutralise_formulas

    assert neutralise_formulas(t)[1] == 2
    changed = 2
    assert write_table(t, tmp_path / "o.csv") == tmp_path / "o.csv"
    back = pd.read_csv(tmp_path / "o.csv")
    assert changed == 2 and back["case_id"][0].startswith("'=") and back["x"][0] == "'@SUM(A1)"
    assert back["n"].tolist() == [-3.0, 2.0] and back["x"][1] == "plain"
    cohort = tmp_path / "c.csv"
    cohort.write_text("case_id,ihc_cdx2,top_site,p_ileal\n+cmd|calc,positive,mine,0.5\nb,negative,yours,0.1\n")
    r = run("score", str(cohort), "-o", str(tmp_path / "scored.csv"))
    assert r.returncode == 0, r.stderr
    out = pd.read_csv(tmp_path / "scored.csv")
    assert out["input_top_site"].tolist() == ["mine", "yours"] and "input_p_ileal" in out.columns
    assert out["case_id"][0] == "'+cmd|calc"
    assert "top_site -> input_top_site" in r.stderr and "prefixed with '" in r.stderr


def test_score_refuses_to_overwrite_its_input_and_missing_output_folders(tmp_path):
    cohort = tmp_path / "c.csv"
    cohort.write_text("case_id,ihc_cdx2\na,positive\nb,negative\n")
    r = run("score", str(cohort), "-o", str(cohort))
    assert r.returncode == 2 and "is the input" in r.stderr
    r = run("score", str(cohort), "-o", str(tmp_path / "nowhere" / "o.csv"))
    assert r.returncode == 2 and "does not exist" in r.stderr and "Traceback" not in r.stderr


def test_terminal_escapes_in_errors_are_shown_not_run(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text('ihc_cdx2: "\\e[31mpositive"\n')
    r = run("validate", str(p))
    assert r.returncode == 2 and "\x1b" not in r.stderr and "\\x1b" in r.stderr


def test_parquet_with_list_columns_and_huge_synth_requests_exit_2(tmp_path):
    pd.DataFrame({"case_id": ["a", "b"], "ihc_cdx2": [["positive"], ["negative"]]}).to_parquet(tmp_path / "l.parquet")
    r = run("validate", str(tmp_path / "l.parquet"))
    assert r.returncode == 2 and "ihc_cdx2 hold lists" in r.stderr and "Traceback" not in r.stderr
    r = run("synth", "--n", "1000000000000", "-o", str(tmp_path / "x.csv"))
    assert r.returncode == 2 and "use --partitions" in r.stderr and not (tmp_path / "x.csv").exists()


def test_an_unusable_tracking_uri_exits_2_after_saving_the_bundle(tmp_path):
    from netorigin.literature import make_synthetic_cohort

    write_table(make_synthetic_cohort(600, random_state=1), tmp_path / "c.csv")
    r = run(
        "train",
        "--data",
        str(tmp_path / "c.csv"),
        "--kind",
        "rules",
        "--out",
        str(tmp_path / "b"),
        "--bootstrap",
        "0",
        "--tracking-uri",
        "nonsense://x/y",
    )
    assert r.returncode == 2 and "MLflow store cannot be used" in r.stderr and "Traceback" not in r.stderr
    assert (tmp_path / "b" / "manifest.json").is_file()


def test_dask_partitions_must_agree_on_columns_and_never_share_a_case_id(tmp_path):
    from netorigin.training._dask_partitions import check_partitions

    a = pd.DataFrame({"case_id": ["a", "b"], "ihc_cdx2": ["positive", "negative"], "primary_site": ["ileal", "other"]})
    a.to_parquet(tmp_path / "p1.parquet")
    a.drop(columns=["ihc_cdx2"]).to_parquet(tmp_path / "p2.parquet")
    with pytest.raises(InputError, match="p2.parquet: its columns differ.*missing ihc_cdx2"):
        check_partitions([str(tmp_path / "p1.parquet"), str(tmp_path / "p2.parquet")])
    a.to_parquet(tmp_path / "p2.parquet")
    with pytest.raises(InputError, match="case_id: used more than once across the partitions \\('a' in"):
        check_partitions([str(tmp_path / "p1.parquet"), str(tmp_path / "p2.parquet")])
    r = run("train", "--data", str(tmp_path), "--engine", "dask", "--no-track")
    assert r.returncode == 2 and "used more than once" in r.stderr and "Traceback" not in r.stderr
