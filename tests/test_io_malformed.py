"""The malformed-input corpus (tests/malformed/) through every command: a clear error, exit 2,
no traceback, and quickly. Plus property tests that random files never crash a command."""

from pathlib import Path

import pytest
from _helpers import run_at_root as run
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netorigin.cli import main

ROOT = Path(__file__).resolve().parents[1]


CORPUS = ROOT / "tests" / "malformed"
USABLE = {"bom.csv", "one_site_only.csv", "rare_site.csv"}  # valid input; training refuses the last two
FILES = sorted(p.name for p in CORPUS.iterdir())


def _clear(r):
    assert "Traceback" not in r.stderr + r.stdout
    assert r.stderr.startswith("error: ") or r.stderr.startswith("Usage:") or "Error:" in r.stderr, r.stderr
    first = r.stderr.splitlines()[0]
    assert len(first) < 400


@pytest.mark.parametrize("name", FILES)
def test_validate(name):
    r = run("validate", f"tests/malformed/{name}")
    if name in USABLE:
        assert r.returncode == 0, r.stderr
    else:
        assert r.returncode == 2
        _clear(r)


@pytest.mark.parametrize("name", [f for f in FILES if f not in USABLE])
def test_score(name):
    r = run("score", f"tests/malformed/{name}")
    assert r.returncode == 2
    _clear(r)


@pytest.mark.parametrize("name", [f for f in FILES if f.endswith((".csv", ".parquet")) and f not in USABLE])
def test_describe(name):
    r = run("cohort", "describe", f"tests/malformed/{name}")
    assert r.returncode == 2
    _clear(r)


@pytest.mark.parametrize(
    "name",
    [
        "one_site_only.csv",
        "rare_site.csv",
        "unknown_site_label.csv",
        "empty.csv",
        "header_only.csv",
        "duplicate_case_ids.csv",
    ],
)
def test_train_refuses_unusable_training_data(name, tmp_path):
    r = run("train", "--data", f"tests/malformed/{name}", "--out", str(tmp_path / "b"), "--no-track")
    assert r.returncode == 2
    _clear(r)
    if name == "one_site_only.csv":
        assert "too few labelled cases of pancreatic (0), other (0)" in r.stderr


def test_a_100_mb_case_file_and_a_100_mb_garbage_table(tmp_path):
    big = tmp_path / "case.yaml"
    big.write_bytes(b"ihc_cdx2: positive\n" + b"# padding\n" * 10_000_000)
    r = run("score", str(big))
    assert r.returncode == 2 and "too large for a case file" in r.stderr
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\xff" * 50_000_000)
    r = run("validate", str(junk))
    assert r.returncode == 2 and "binary" in r.stderr


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.binary(max_size=400),
    suffix=st.sampled_from([".csv", ".yaml", ".json", ".tsv"]),
    command=st.sampled_from([["validate"], ["score"], ["cohort", "describe"]]),
)
def test_random_files_never_crash_a_command(tmp_path, data, suffix, command):
    p = tmp_path / f"in{suffix}"
    p.write_bytes(data)
    result = CliRunner().invoke(main, [*command, str(p)])
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.lists(
            st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8),
            min_size=3,
            max_size=3,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_random_cohort_text_never_crashes_scoring(tmp_path, rows):
    import csv

    p = tmp_path / "c.csv"
    with p.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["case_id", "ihc_cdx2", "ki67_percent"])
        w.writerows(rows)
    result = CliRunner().invoke(main, ["score", str(p)])
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
