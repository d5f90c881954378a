"""The command line, run as a user runs it: exit codes, messages, no tracebacks."""

import json
from pathlib import Path

import pytest
import yaml
from _helpers import run_at_root as run

from netorigin import __version__, validate_case

ROOT = Path(__file__).resolve().parents[1]


def test_version():
    r = run("--version")
    assert r.returncode == 0 and __version__ in r.stdout


def test_validate_seed_cohort_ok():
    r = run("validate", "data/seed_cohort.csv")
    assert r.returncode == 0, r.stderr
    assert "OK" in r.stdout and "7 cases" in r.stdout and "12 other column(s)" in r.stdout


def test_validate_lists_all_five_faults_exit_2_no_traceback():
    r = run("validate", "tests/data/five_faults.csv")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr + r.stdout
    err = r.stderr
    assert "5 problems found" in err
    for fragment in ("'postive'", "age (age_years): '-3'", "'b' is used by 2 rows", "'G9'", "did you mean 'ihc_isl1'"):
        assert fragment in err, fragment


def test_validate_example_case():
    r = run("validate", "data/examples/example_case.yaml")
    assert r.returncode == 0, r.stderr
    assert "1 case" in r.stdout


@pytest.mark.parametrize("content", ["ihc_cdx2: postive\n", "ihc_cdx: positive\n", "[1, 2\n"])
def test_bad_case_exits_2_without_traceback(tmp_path, content):
    p = tmp_path / "case.yaml"
    p.write_text(content)
    r = run("validate", str(p))
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.startswith("error:")


def test_missing_file_exits_2():
    r = run("validate", "no/such/file.csv")
    assert r.returncode == 2 and "no such file" in r.stderr


def test_template_is_valid_yaml_with_every_field_and_validates_when_filled():
    r = run("template")
    assert r.returncode == 0
    case = yaml.safe_load(r.stdout)
    from netorigin import FIELDS

    assert set(case) == set(FIELDS)
    assert all(v is None for v in case.values())  # blank = not done
    case.update({"ihc_cdx2": "positive", "grade": "G2", "sex": "female"})
    assert validate_case(case).table.loc[0, "ihc_cdx2"] == "positive"


def test_describe_seed_cohort_shows_paper_figures():
    r = run("cohort", "describe", "data/seed_cohort.csv")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for fragment in (
        "50 (27-64)",
        "male 5, female 2",
        "G1 3, G2 4",
        "3 of 7",
        "0 of 7",
        "yes 2, no 5",
        "median 15 (6-48)",
        "median 17 (8-48)",
    ):
        assert fragment in out, fragment


def test_describe_json():
    import json

    r = run("cohort", "describe", "data/seed_cohort.csv", "--json")
    s = json.loads(r.stdout)
    assert s["markers"]["ihc_cdx2"]["positive"] == 3


def test_synth_writes_a_valid_cohort_and_bad_scenario_exits_2(tmp_path):
    out = tmp_path / "x.parquet"
    r = run("synth", "--n", "2000", "--seed", "1", "--scenario", "liver-met-archive", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert run("validate", str(out)).returncode == 0
    r = run("synth", "--n", "10", "--scenario", "mars", "-o", str(tmp_path / "y.csv"))
    assert r.returncode == 2 and "'mars' is not one of" in r.stderr and "Traceback" not in r.stderr


def test_train_and_evaluate_without_tracking(tmp_path):
    data = tmp_path / "c.csv"
    assert run("synth", "--n", "1500", "--seed", "4", "-o", str(data)).returncode == 0
    r = run(
        "train",
        "--data",
        str(data),
        "--model",
        "logistic",
        "--out",
        str(tmp_path / "b"),
        "--no-track",
        "--bootstrap",
        "10",
        "--target-prior",
        "unknown-primary",
    )
    assert r.returncode == 0, r.stderr
    assert "90% set coverage" in r.stdout and (tmp_path / "b" / "manifest.json").is_file()
    r = run(
        "evaluate", "--model", str(tmp_path / "b"), "--data", str(data), "--no-track", "--json", "--bootstrap", "10"
    )
    assert r.returncode == 0, r.stderr
    import json

    m = json.loads(r.stdout)
    assert 0 < m["calibrated"]["accuracy"] <= 1 and "0.90" in m["conformal"]


def test_train_on_a_cohort_without_every_site_exits_2(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("case_id,ihc_cdx2,primary_site\n" + "".join(f"c{i},+,ileal\n" for i in range(30)))
    r = run("train", "--data", str(p), "--out", str(tmp_path / "b"), "--no-track")
    assert r.returncode == 2 and "too few labelled cases of pancreatic (0), other (0)" in r.stderr
    assert "Traceback" not in r.stderr


def test_evaluate_a_missing_bundle_exits_2(tmp_path):
    r = run("evaluate", "--model", str(tmp_path / "nope"), "--data", "data/seed_cohort.csv", "--no-track")
    assert r.returncode == 2 and "no such bundle folder" in r.stderr


def test_train_takes_kind_and_still_reads_the_old_model_spelling(tmp_path):
    from netorigin.io import write_table
    from netorigin.literature import make_synthetic_cohort

    write_table(make_synthetic_cohort(600, random_state=2), tmp_path / "c.csv")
    r = run(
        "train",
        "--data",
        str(tmp_path / "c.csv"),
        "--kind",
        "rules",
        "--out",
        str(tmp_path / "a"),
        "--no-track",
        "--bootstrap",
        "0",
    )
    assert r.returncode == 0, r.stderr
    r = run(
        "train",
        "--data",
        str(tmp_path / "c.csv"),
        "--model",
        "rules",
        "--out",
        str(tmp_path / "b"),
        "--no-track",
        "--bootstrap",
        "0",
    )
    assert r.returncode == 0 and "--model is deprecated" in r.stderr and "use --kind" in r.stderr
    assert (tmp_path / "b" / "rules.json").is_file()
    r = run("train", "--data", str(tmp_path / "c.csv"), "--kind", "nearest", "--no-track")
    assert r.returncode == 2 and "kind: 'nearest' is not one of xgboost" in r.stderr


def test_the_bundle_does_not_depend_on_how_the_data_path_was_typed(tmp_path):
    from netorigin.io import write_table
    from netorigin.literature import make_synthetic_cohort

    (tmp_path / "in").mkdir()
    write_table(make_synthetic_cohort(600, random_state=4), tmp_path / "in" / "x.csv")
    hashes = []
    for i, typed in enumerate(("in/x.csv", "./in/x.csv", str(tmp_path / "in" / "x.csv"))):
        r = run(
            "train",
            "--data",
            typed,
            "--kind",
            "rules",
            "--out",
            f"b{i}",
            "--no-track",
            "--bootstrap",
            "0",
            cwd=tmp_path,
        )
        assert r.returncode == 0, r.stderr
        hashes.append(json.loads((tmp_path / f"b{i}" / "manifest.json").read_text())["bundle_hash"])
    assert len(set(hashes)) == 1


def _commands(cmd, path=("netorigin",)):
    import click

    if isinstance(cmd, click.Group):
        for name, sub in cmd.commands.items():
            yield from _commands(sub, path + (name,))
    else:
        yield " ".join(path), cmd


def test_every_option_has_help_and_every_command_an_example():
    import click

    from netorigin.cli import main

    commands = list(_commands(main))
    assert len(commands) >= 10
    for path, cmd in commands:
        for p in cmd.params:
            if isinstance(p, click.Option) and not p.hidden:
                assert p.help and len(p.help) > 10, f"{path} {p.opts[0]} has no help text"
        assert "Example: netorigin " in (cmd.help or ""), f"{path} shows no example"


STAMP = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d "


def test_progress_is_timestamped_log_lines_when_stderr_is_not_a_terminal(monkeypatch):
    # `train ... 2>&1 | tee log` shows life: a line when a step begins, "still ..." in a long one
    import io
    import re
    import time

    from netorigin.cli._common import LogLines, progress_bar

    monkeypatch.setattr(LogLines, "QUIET", 0.0)
    monkeypatch.setattr(LogLines, "EVERY", 0.3)
    stream = io.StringIO()
    with progress_bar("training", stream=stream) as step:
        step("fitting fold 1 of 2", 0, 3)
        step("fitting fold 1 of 2", 0, 3)  # the same step again: no second line
        time.sleep(0.8)
        step("fitting fold 2 of 2", 1, 3)
    lines = stream.getvalue().splitlines()
    assert lines and all(re.match(STAMP, line) for line in lines), lines
    said = [line[20:] for line in lines]
    assert said.count("training: fitting fold 1 of 2 (0 of 3 done)") == 1
    assert any(s.startswith("still training: fitting fold 1 of 2 (") for s in said), said
    assert "training: fitting fold 2 of 2 (1 of 3 done)" in said and said[-1].startswith("training: done in ")


def test_work_without_steps_is_named_once_the_quiet_time_is_over(monkeypatch):
    import io
    import time

    from netorigin.cli._common import LogLines, progress_bar

    monkeypatch.setattr(LogLines, "QUIET", 0.1)
    stream = io.StringIO()
    with progress_bar("reading big.csv", stream=stream):
        deadline = time.monotonic() + 10
        while not stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.05)
    said = [line[20:] for line in stream.getvalue().splitlines()]
    assert said[0] == "reading big.csv" and said[-1].startswith("reading big.csv: done in "), said


def test_a_short_command_prints_no_progress_when_stderr_is_not_a_terminal():
    import io

    from netorigin.cli._common import progress_bar

    stream = io.StringIO()
    with progress_bar("reading", stream=stream) as step:
        step("scoring", 10, 20)
    assert stream.getvalue() == ""


def test_train_logs_each_step_when_its_output_is_not_a_terminal(tmp_path, small_cohort, monkeypatch):
    import re

    from netorigin.cli._common import LogLines

    monkeypatch.setattr(LogLines, "QUIET", 0.0)
    data = tmp_path / "cohort.csv"
    small_cohort.iloc[:400].to_csv(data, index=False)
    r = run("train", "--data", data, "--kind", "rules", "--no-track", "--bootstrap", "0", "--out", tmp_path / "b")
    assert r.returncode == 0, r.stderr
    steps = [line[20:] for line in r.stderr.splitlines() if re.match(STAMP, line)]
    assert "training: fitting fold 1 of 5 (0 of 6 done)" in steps, r.stderr
    assert "training: fitting on every training case (5 of 6 done)" in steps
    assert "training: saving the bundle" in steps and steps[-1].startswith("training: done in ")


def test_train_help_names_the_default_kind_and_every_kind():
    from netorigin.models import DEFAULT_KIND, MODEL_KINDS

    r = run("train", "--help")
    text = " ".join(r.stdout.split())
    assert f"{DEFAULT_KIND} (default" in text and all(k in text for k in MODEL_KINDS)
