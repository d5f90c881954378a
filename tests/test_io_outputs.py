"""Every output of every command is checked before any work (netorigin/io/_outputs.py): never an
input (by inode: hard and symbolic links too), never two outputs in one file, never a folder that
is missing or holds someone else's files; writes are atomic, so an interrupted one loses nothing."""

import os

import pandas as pd
import pytest
from click.testing import CliRunner

from netorigin.cli import main
from netorigin.exceptions import InputError
from netorigin.io import Output, plan_outputs, replace_folder

COHORT = "case_id,ihc_cdx2,age_years\na,positive,61\nb,maybe,55\nc,negative,40\n"


def cli(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "c.csv").write_text(COHORT)
    return tmp_path


def _unchanged(path, before):
    assert path.read_bytes() == before, f"{path} was changed"


@pytest.mark.parametrize(
    "args",
    [
        ["-o", "same.csv", "--set-aside", "same.csv"],
        ["-o", "c.set-aside.csv"],  # -o is the default set-aside file
        ["-o", "link.csv"],  # a hard link of the input
        ["-o", "sym.csv"],  # a symbolic link to the input
        ["-o", "x.csv", "--set-aside", "link.csv"],
    ],
)
def test_score_refuses_outputs_that_are_the_input_or_each_other(work, args):
    os.link(work / "c.csv", work / "link.csv")
    (work / "sym.csv").symlink_to(work / "c.csv")
    before = (work / "c.csv").read_bytes()
    r = cli("score", "c.csv", "--skip-invalid", *args)
    assert r.exit_code == 2 and ("is the input" in r.output or "two outputs cannot be one file" in r.output), r.output
    _unchanged(work / "c.csv", before)
    assert not (work / "x.csv").exists() and not (work / "same.csv").exists()


def test_an_unusable_set_aside_folder_is_refused_before_the_scores_are_written(work):
    r = cli("score", "c.csv", "--skip-invalid", "-o", "x.csv", "--set-aside", "nofolder/aside.csv")
    assert r.exit_code == 2 and "nofolder" in r.output and not (work / "x.csv").exists()


def test_set_aside_without_skip_invalid_is_refused(work):
    r = cli("validate", "c.csv", "--set-aside", "a.csv")
    assert r.exit_code == 2 and "give --skip-invalid too" in r.output


def test_a_two_row_cohort_with_one_invalid_row_stays_a_cohort(work):
    (work / "two.csv").write_text("case_id,ihc_cdx2\na,positive\nb,maybe\n")
    r = cli("score", "two.csv", "--skip-invalid", "--set-aside", "a.csv", "-o", "s.csv")
    assert r.exit_code == 0, r.output
    assert "2 case(s) read: 1 used, 1 set aside" in r.output
    assert list(pd.read_csv(work / "a.csv")["row"]) == [2]
    r = cli("score", "two.csv", "--skip-invalid", "--set-aside", "b.csv")
    assert r.exit_code == 0 and "1 used, 1 set aside" in r.output and (work / "b.csv").exists()
    assert "case a" not in r.output.splitlines()[0]  # a table, not one case's report


def test_import_never_writes_over_its_input_nor_leaves_a_refused_table(work):
    matrix = work / "GSE1_series_matrix.txt"
    matrix.write_text(
        '!Sample_geo_accession\t"GSM1"\t"GSM1"\n!Sample_characteristics_ch1\t"tissue: lung"\t"tissue: lung"\n'
    )
    before = matrix.read_bytes()
    r = cli("import", "geo", str(matrix), "-o", str(matrix.with_suffix(".csv")))
    assert r.exit_code == 2  # GSM1 twice: the table is refused by validation...
    assert not matrix.with_suffix(".csv").exists()  # ...and never written
    (work / "good.csv").write_text("keep me\n")
    r = cli("import", "geo", str(matrix), "-o", "good.csv")
    assert r.exit_code == 2 and (work / "good.csv").read_text() == "keep me\n"
    pm = work / "pm.csv"
    pm.write_text("probe,gene\n1,CD302\n")
    r = cli("import", "geo", str(matrix), "--probe-map", "pm.csv", "-o", "pm.csv")
    assert r.exit_code == 2 and "is the input" in r.output and pm.read_text() == "probe,gene\n1,CD302\n"
    _unchanged(matrix, before)


def test_train_refuses_a_folder_holding_the_users_own_files_before_training(work):
    proj = work / "proj"
    proj.mkdir()
    (proj / "manifest.json").write_text('{"mine": true}')
    (proj / "calibration.json").write_text("{}")
    r = cli("train", "--data", "c.csv", "--out", "proj", "--no-track")
    assert r.exit_code == 2 and "not a netorigin bundle" in r.output
    assert (proj / "manifest.json").read_text() == '{"mine": true}'


def test_train_makes_the_bundles_parent_folders(work):
    from netorigin.literature import make_synthetic_cohort

    make_synthetic_cohort(400, random_state=0).to_csv(work / "t.csv", index=False)
    r = cli("train", "--data", "t.csv", "--kind", "rules", "--out", "bundles/mine", "--no-track", "--bootstrap", "0")
    assert r.exit_code == 0, r.output
    assert (work / "bundles" / "mine" / "manifest.json").exists()


def test_an_interrupted_bundle_rewrite_leaves_the_old_bundle(tmp_path):
    b = tmp_path / "b"
    b.mkdir()
    (b / "manifest.json").write_text('{"format": "netorigin-bundle", "v": 1}')

    def dies(folder):
        (folder / "manifest.json").write_text('{"format": "netorigin-bundle", "v": 2}')
        raise KeyboardInterrupt  # as kill -9 would, halfway through

    with pytest.raises(KeyboardInterrupt):
        replace_folder(b, dies)
    assert (b / "manifest.json").read_text() == '{"format": "netorigin-bundle", "v": 1}'
    assert [p.name for p in tmp_path.iterdir()] == ["b"]  # nothing half-written left beside it


def test_plan_outputs_names_the_option_and_the_reason(tmp_path):
    (tmp_path / "in.csv").write_text("x")
    with pytest.raises(InputError, match=r"^-o .*: must be a \.csv file"):
        plan_outputs([Output("-o", tmp_path / "x.txt", suffixes=(".csv",))])
    with pytest.raises(InputError, match="holds the input"):
        plan_outputs([Output("--out", tmp_path, kind="bundle")], inputs=[tmp_path / "in.csv"])
    with pytest.raises(InputError, match="is a folder"):
        plan_outputs([Output("-o", tmp_path)])


def test_a_header_named_like_a_formula_is_neutralised_in_csv_outputs(work):
    (work / "f.csv").write_text('case_id,ihc_cdx2,"=HYPERLINK(""http://x"")"\na,positive,1\nb,maybe,2\n')
    r = cli("score", "f.csv", "--skip-invalid", "-o", "s.csv")
    assert r.exit_code == 0, r.output
    assert not any(c.startswith("=") for c in pd.read_csv(work / "s.csv").columns)
    assert not any(c.startswith("=") for c in pd.read_csv(work / "f.set-aside.csv").columns)


@pytest.mark.parametrize(
    "args",
    [
        ["--save-world", "w.csv", "-o", "w.csv"],
        ["--save-world", "w.csv", "-o", "./w.csv"],
        ["--save-world", "w.csv", "-o", "hard.csv"],  # a hard link of the world file
        ["--save-world", "sym.csv", "-o", "w.csv"],  # a symbolic link to it
        ["--save-world", "new.csv", "-o", "sub/../new.csv"],  # one new file, named two ways
    ],
)
def test_synth_never_writes_the_world_and_the_cohort_into_one_file(work, args):
    (work / "w.csv").write_text("an earlier world\n")
    os.link(work / "w.csv", work / "hard.csv")
    (work / "sym.csv").symlink_to(work / "w.csv")
    (work / "sub").mkdir()
    r = cli("synth", "--n", "20", "--world", "1", *args)
    assert r.exit_code == 2 and "two outputs cannot be one file" in r.output, r.output
    _unchanged(work / "w.csv", b"an earlier world\n")
    assert not (work / "new.csv").exists()


@pytest.mark.parametrize(
    "args, said",
    [
        (["--world", "1", "--save-world", "w2.csv", "--partitions", "2", "-o", "parts"], "--partitions uses"),
        (["--world", "1", "--save-world", "w2.csv"], "give -o FILE"),
        (["--world", "1", "--save-world", "w2.csv", "-o", "c2.csv", "--workers", "2"], "--workers is for"),
        (["--world", "1", "--save-world", "w2.csv", "--check", "-o", "c2.csv"], "--check writes no cohort"),
        (["--save-world", "w2.csv", "-o", "c2.csv"], "--save-world needs --world"),
        (["--world", "1", "--save-world", "w2.txt", "-o", "c2.csv"], "must be a .csv file"),
    ],
)
def test_synth_refuses_every_option_conflict_before_writing_anything(work, args, said):
    r = cli("synth", "--n", "20", *args)
    assert r.exit_code == 2 and said in r.output, r.output
    assert not any((work / name).exists() for name in ("w2.csv", "w2.txt", "c2.csv", "parts"))


@pytest.mark.parametrize("out", ["c.csv", "./c.csv", "link.yaml", "m.txt"])
def test_map_suggest_never_writes_over_its_cohort(work, out):
    """`map suggest COHORT -o COHORT` wrote the draft over the cohort (exit 0): the output is planned
    against the input before the cohort is read, and a mapping is a YAML file."""
    (work / "link.yaml").symlink_to(work / "c.csv")
    before = (work / "c.csv").read_bytes()
    r = cli("map", "suggest", "c.csv", "-o", out)
    assert r.exit_code == 2 and ("is the input" in r.output or ".yaml or .yml" in r.output), r.output
    _unchanged(work / "c.csv", before)
    assert not (work / "m.txt").exists()
    r = cli("map", "suggest", "c.csv", "-o", "m.yaml")
    assert r.exit_code == 0 and "ihc_cdx2" in (work / "m.yaml").read_text()
