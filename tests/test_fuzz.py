"""Fuzz harness: every command and every file kind (case, cohort, mapping, pipeline, bundle
manifest, options) driven with generated hostile input.

For every example: exit 0 or 2, never a traceback; when a cohort is scored to a file, the rows
out equal the rows in; nothing is written outside the output that was named. Runs in-process
(click's runner) so that the whole harness stays well under two minutes.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netorigin.cli import main
from netorigin.contract import FIELDS

ROOT = Path(__file__).resolve().parents[1]
LOGISTIC = ROOT / "tests" / "data" / "bundle-0.1.0-logistic"
# NETORIGIN_FUZZ_EXAMPLES=500 NETORIGIN_FUZZ_SEEDED=0 for a deeper, random search than CI's
FUZZ = settings(
    max_examples=int(os.environ.get("NETORIGIN_FUZZ_EXAMPLES", "25")),
    deadline=None,
    derandomize=os.environ.get("NETORIGIN_FUZZ_SEEDED", "1") == "1",
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# values a careless or hostile user types: near-misses, injections, escapes, extremes, types
HOSTILE_TEXT = st.sampled_from(
    [
        "",
        " ",
        "positive",
        "POS",
        "pos ",
        "on",
        "yes",
        "000123",
        "1e308",
        "-1e308",
        "nan",
        "NaN",
        "inf",
        "-0",
        '=HYPERLINK("http://x")',
        "+cmd|' /C calc'!A0",
        "@SUM(1)",
        "-2+3",
        "\x1b[31mred",
        "<script>x</script>",
        "a\nb",
        "a\rb",
        '"',
        "'",
        ",",
        ";",
        "\t",
        "\u202e",
        "é",
        "🙂",
        "0x10",
        "1,5",
        "1.5",
        "12 mm",
        "G2",
        "G4",
        "not_done",
        "n.d.",
        "unknown",
        "ileum",
        "pancreas",
        "lung",
        "x" * 300,
        "../../etc/passwd",
        "{a: 1}",
        "[1]",
    ]
)
SCALARS = st.one_of(
    HOSTILE_TEXT,
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
FIELD_NAMES = st.sampled_from(sorted(FIELDS) + ["case_id", "note", "top_site", "p_ileal", "", "ihc_CDX2"])


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def invoke(args, cwd: Path, allowed: set[str] = frozenset()):
    """Run the CLI in ``cwd``; check exit 0/2, no traceback, no file outside ``allowed``."""
    before = _tree(cwd)
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)
    assert result.exit_code in (0, 2), (args, result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, repr(result.exception))
    assert "Traceback" not in result.output
    assert "No such command" not in result.output, "the harness itself calls a command that does not exist"
    new = _tree(cwd) - before
    stray = {p for p in new if not any(p == a or p.startswith(a + "/") for a in allowed)}
    assert not stray, (args, stray)
    return result


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'store' / 'mlflow.db'}")
    return tmp_path


def _write_yaml_like(path: Path, mapping: dict, as_json: bool):
    if as_json:
        path.write_text(json.dumps(mapping, default=str, allow_nan=True), encoding="utf-8")
    else:
        import yaml

        path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")


@FUZZ
@given(
    case=st.dictionaries(FIELD_NAMES, SCALARS, max_size=8),
    as_json=st.booleans(),
    command=st.sampled_from([["score"], ["score", "--json"], ["validate"], ["score", "--model", str(LOGISTIC)]]),
)
def test_case_files(work, case, as_json, command):
    p = work / ("case.json" if as_json else "case.yaml")
    try:
        _write_yaml_like(p, case, as_json)
    except (ValueError, TypeError):
        return
    invoke([*command, p.name], work)


# a contract field of each kind, an extra column, and a column named like an output
COHORT_COLUMNS = [
    "case_id",
    "age_years",
    "sex",
    "ihc_cdx2",
    "ki67_percent",
    "grade",
    "note",
    "top_site",
    "largest_liver_lesion_cm",
]


@FUZZ
@given(
    rows=st.lists(
        st.fixed_dictionaries(
            {},
            optional={k: HOSTILE_TEXT for k in COHORT_COLUMNS[1:]},
        ),
        min_size=2,
        max_size=6,
    ),
    ids=st.sampled_from(["plain", "duplicate", "hostile"]),
)
def test_cohorts_scored_to_a_file_keep_every_row(work, rows, ids):
    columns = COHORT_COLUMNS
    p = work / "cohort.csv"
    with p.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(columns)
        for i, r in enumerate(rows):
            cid = {"plain": f"c{i}", "duplicate": "same", "hostile": f"=cmd{i}\x1b"}[ids]
            w.writerow([cid] + [r.get(c, "") for c in columns[1:]])
    for command in (["validate", p.name], ["cohort", "describe", p.name]):
        invoke(command, work)
    result = invoke(["score", p.name, "-o", "out.csv"], work, allowed={"out.csv"})
    if result.exit_code == 0:
        with (work / "out.csv").open(newline="", encoding="utf-8") as f:
            out = list(csv.DictReader(f))
        assert len(out) == len(rows)  # rows out = rows in


MAPPING_VALUE = st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(HOSTILE_TEXT, SCALARS, max_size=3))


@FUZZ
@given(
    mapping=st.dictionaries(
        st.sampled_from(["version", "columns", "values", "units", "constants", "other", ""]),
        st.one_of(MAPPING_VALUE, st.dictionaries(FIELD_NAMES, MAPPING_VALUE, max_size=3)),
        max_size=4,
    )
)
def test_mapping_files(work, mapping):
    m = work / "map.yaml"
    try:
        _write_yaml_like(m, mapping, as_json=False)
    except (ValueError, TypeError):
        return
    data = ROOT / "tests" / "data" / "registry_cohort.csv"
    invoke(["validate", str(data), "--mapping", m.name], work)
    result = invoke(["score", str(data), "--mapping", m.name, "-o", "out.csv"], work, allowed={"out.csv"})
    if result.exit_code == 0:
        import pandas as pd

        assert len(pd.read_csv(work / "out.csv")) == len(pd.read_csv(data))  # rows out = rows in


PIPELINE_VALUE = st.one_of(
    SCALARS,
    st.lists(HOSTILE_TEXT, max_size=3),
    st.dictionaries(
        st.sampled_from(["n", "scenario", "seed", "path", "kind", "params", "random_state", "x"]),
        st.one_of(SCALARS, st.dictionaries(HOSTILE_TEXT, SCALARS, max_size=2)),
        max_size=3,
    ),
)


@FUZZ
@given(
    pipeline=st.dictionaries(
        st.sampled_from(
            [
                "name",
                "version",
                "task",
                "data",
                "model",
                "cv",
                "target_prior",
                "output",
                "n_bootstrap",
                "scenarios",
                "train_n",
                "models",
                "coverage",
                "register",
                "unknown",
            ]
        ),
        PIPELINE_VALUE,
        max_size=6,
    )
)
def test_pipeline_files(work, pipeline):
    p = work / "pipe.yaml"
    # keep any run that gets through small, and its outputs inside the work folder
    if isinstance(pipeline.get("data"), dict):
        pipeline["data"]["n"] = min(
            int(pipeline["data"]["n"]) if isinstance(pipeline["data"].get("n"), int) else 300, 300
        )
    pipeline["output"] = "out"
    for key in ("train_n", "test_n"):
        if key in pipeline:
            pipeline[key] = 300
    try:
        _write_yaml_like(p, pipeline, as_json=False)
    except (ValueError, TypeError):
        return
    invoke(["run", p.name, "--no-track"], work, allowed={"out", "store"})


@FUZZ
@given(
    field=st.sampled_from(
        [
            "format_version",
            "kind",
            "files",
            "labels",
            "label_prior",
            "n_features",
            "feature_names",
            "hash",
            "classes",
            "level",
            "params",
            "coverage",
            "nonexistent",
        ]
    ),
    value=st.one_of(SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(HOSTILE_TEXT, SCALARS, max_size=2)),
    drop=st.booleans(),
)
def test_bundle_manifests(work, field, value, drop):
    b = work / "bundle"
    if b.exists():
        shutil.rmtree(b)
    shutil.copytree(LOGISTIC, b)
    manifest = json.loads((b / "manifest.json").read_text())
    if drop:
        manifest.pop(field, None)
    else:
        manifest[field] = value
    (b / "manifest.json").write_text(json.dumps(manifest, default=str))
    invoke(["score", str(ROOT / "data" / "examples" / "example_case.yaml"), "--model", "bundle"], work)


@FUZZ
@given(
    prior=st.one_of(
        HOSTILE_TEXT,
        st.lists(
            st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5)), min_size=1, max_size=4
        ).map(lambda xs: ",".join(str(x) for x in xs)),
    ),
    coverage=st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(str), HOSTILE_TEXT),
    panel=st.sampled_from(["0", "1", "2", "3", "4", "-1", "x"]),
    as_kind=st.sampled_from(["auto", "case", "cohort", "table", ""]),
)
def test_score_options(work, prior, coverage, panel, as_kind):
    case = ROOT / "data" / "examples" / "example_case.yaml"
    invoke(
        [
            "score",
            str(case),
            "--model",
            str(LOGISTIC),
            "--target-prior",
            prior,
            "--coverage",
            coverage,
            "--panel",
            panel,
            "--as",
            as_kind,
        ],
        work,
    )
    invoke(["score", str(case), "--model", str(LOGISTIC), "--target-prior", prior], work)


@FUZZ
@given(
    n=st.one_of(st.integers(-10, 10**13).map(str), HOSTILE_TEXT),
    scenario=st.one_of(st.sampled_from(["unknown-primary", "population", "training-mix"]), HOSTILE_TEXT),
    seed=st.one_of(st.integers(-5, 2**70).map(str), HOSTILE_TEXT),
    out=st.sampled_from(["s.csv", "s.parquet", "s.txt", "missing/s.csv", "s"]),
)
def test_synth_options(work, n, scenario, seed, out):
    try:
        if 200 < int(n) <= 10**9:
            n = "200"  # a large valid n is a slow success, not a fuzz finding
    except ValueError:
        pass
    invoke(["synth", "--n", n, "--scenario", scenario, "--seed", seed, "-o", out], work, allowed={out})


@settings(FUZZ, max_examples=min(FUZZ.max_examples, 8))  # each example trains a model: fewer of them
@given(
    args=st.lists(
        st.sampled_from(
            [
                "--target-prior",
                "--model",
                "--kind",
                "--seed",
                "--bootstrap",
                "--bayes-scenario",
                "--engine",
                "-1",
                "0",
                "1",
                "2",
                "x",
                "nan",
                "4294967296",
                "unknown-primary",
                "xgboost",
                "rules",
                "literature",
                "1e308",
                "0,0,1",
                "--json",
            ]
        ),
        max_size=5,
    ),
    command=st.sampled_from([["train", "--no-track", "--out", "b"], ["evaluate", "--no-track"]]),
)
def test_train_and_evaluate_options(work, args, command):
    data = ROOT / "tests" / "data" / "registry_cohort.csv"
    mapping = ROOT / "tests" / "data" / "registry_mapping.yaml"
    extra = ["--data", str(data), "--mapping", str(mapping)]
    if command[0] == "evaluate":
        extra += ["--model", str(LOGISTIC)]
    invoke([*command, *extra, *args], work, allowed={"b", "store", "mlruns"})


@FUZZ
@given(
    clinical=st.one_of(
        st.binary(max_size=300),
        st.lists(st.lists(HOSTILE_TEXT, min_size=1, max_size=4), min_size=0, max_size=5).map(
            lambda rows: "\n".join("\t".join(r) for r in rows).encode()
        ),
    ),
    header=st.sampled_from([b"", b"SAMPLE_ID\tPRIMARY_SITE\n", b"#x\nPATIENT_ID\tSAMPLE_ID\tPRIMARY_SITE\n"]),
    extra=st.sampled_from([[], ["--mutations"], ["--all-genes"], ["--site-column", "ORGAN"]]),
)
def test_import_cbioportal(work, clinical, header, extra):
    study = work / "study"
    study.mkdir(exist_ok=True)
    (study / "data_clinical_sample.txt").write_bytes(header + clinical)
    invoke(["import", "cbioportal", "study", "-o", "c.csv", *extra], work, allowed={"c.csv", "study"})


@FUZZ
@given(
    lines=st.lists(
        st.one_of(
            st.sampled_from(
                [
                    '!Sample_geo_accession\t"GSM1"\t"GSM2"',
                    '!Sample_characteristics_ch1\t"primary site: ileum"\t"x"',
                    '!Sample_characteristics_ch1\t"a"',
                    "!series_matrix_table_begin",
                    "!series_matrix_table_end",
                    '"ID_REF"\t"GSM1"\t"GSM2"',
                    '"CD302"\t1e308\tnan',
                    '"PPWD1"\tx',
                ]
            ),
            HOSTILE_TEXT,
        ),
        max_size=8,
    ),
    extra=st.sampled_from([[], ["--site-key", "primary site"], ["--expression", "linear"]]),
)
def test_import_geo(work, lines, extra):
    (work / "s.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    invoke(["import", "geo", "s.txt", "-o", "c.csv", *extra], work, allowed={"c.csv"})


# ---------------------------------------------------------------- the web API, the form, MLflow serving
def _recorded_keys(report) -> set:
    return set(report["inputs"]) | {"case_id"}


@pytest.fixture(scope="module")
def api(default_model):
    pytest.importorskip("httpx2")
    from starlette.testclient import TestClient

    from netorigin.app._serve import create_app

    return TestClient(create_app(default_model), raise_server_exceptions=False)


@FUZZ
@given(
    case=st.dictionaries(FIELD_NAMES, SCALARS, max_size=8),
    door=st.sampled_from(["json", "wrapped", "form", "multipart", "text"]),
)
def test_the_api_and_the_form(api, case, door):
    """Every request: 200 or 422, never a traceback; a 200 used every value given (each key is in
    the inputs it answers with, unless it says 'not done'); a 422 names what it refused."""
    from urllib.parse import quote_plus

    from netorigin.contract import MISSING_TOKENS

    text = {str(k): ("" if v is None else str(v)) for k, v in case.items()}
    if door in ("json", "wrapped"):
        try:
            body = json.dumps({"case": case} if door == "wrapped" else case, allow_nan=True)
        except (TypeError, ValueError):
            return
        r = api.post(
            "/api/score", content=body.encode("utf-8", "surrogatepass"), headers={"Content-Type": "application/json"}
        )
    elif door == "form":
        body = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k, v in text.items())
        r = api.post("/score", content=body.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"})
    elif door == "multipart":
        r = api.post("/api/score", files={k: (None, v) for k, v in text.items()} or {"x": (None, "")})
    else:
        r = api.post("/api/score", content=b"ihc_cdx2=positive", headers={"Content-Type": "text/plain"})
    assert r.status_code in (200, 422), (door, case, r.status_code, r.text[:300])
    assert "Traceback" not in r.text
    if door in ("multipart", "text"):
        assert r.status_code == 422
        return
    if r.status_code == 200 and door != "form":
        rep = r.json()
        assert abs(sum(rep["probabilities"].values()) - 1) < 1e-9
        given_keys = {
            str(k).strip().lower()
            for k, v in case.items()
            if v is not None
            and not (isinstance(v, str) and " ".join(v.split()).lower() in MISSING_TOKENS)
            and not (isinstance(v, float) and v != v)
        }
        assert given_keys <= _recorded_keys(rep), (case, rep["inputs"])


MLFLOW_ROWS = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            k: st.one_of(HOSTILE_TEXT, st.integers(-5, 200))
            # contract fields only: a column that is not one refuses the whole request (tests/test_pyfunc.py)
            for k in ("case_id", "age_years", "ihc_cdx2", "grade", "hormonal_syndrome", "mesenteric_mass")
        },
    ),
    min_size=1,
    max_size=5,
)


@FUZZ
@given(rows=MLFLOW_ROWS, as_csv=st.booleans(), ragged=st.booleans())
def test_mlflow_serving_payloads(default_model, rows, as_csv, ragged):
    """CSV read as MLflow reads it (pandas), or JSON records: refused whole with a message, or one
    answer per row in order, each scored (probabilities adding up to 1) or saying why not."""
    import io

    import pandas as pd

    pytest.importorskip("mlflow")
    from netorigin.exceptions import NetoriginError
    from netorigin.training._pyfunc_model import answer, request_table

    columns = sorted({k for r in rows for k in r}) or ["ihc_cdx2"]
    if as_csv:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(columns)
        for r in rows:
            w.writerow([r.get(c, "") for c in columns] + (["extra"] if ragged else []))
        try:
            frame = pd.read_csv(io.StringIO(buf.getvalue()))
        except Exception:  # noqa: BLE001 - MLflow answers 400 itself when pandas cannot read it
            return
    else:
        frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], dtype=object)
    try:
        out = answer(default_model, request_table(frame), {})
    except NetoriginError as e:
        assert str(e) and "Traceback" not in str(e)
        return
    assert len(out) == len(rows)
    records = out.to_dict(orient="records")
    json.dumps(records, default=str)
    for row in records:
        if row["status"].startswith("scored"):
            assert abs(row["p_ileal"] + row["p_pancreatic"] + row["p_other"] - 1) < 1e-9
        else:
            assert row["status"].startswith("not scored:") and row["p_ileal"] != row["p_ileal"]  # NaN
        assert all(v is None or v == v for k, v in row.items() if not k.startswith("p_"))  # no NaN text


OUTPUT_NAMES = st.sampled_from(
    [
        "c.csv",
        "out.csv",
        "out.parquet",
        "aside.csv",
        "link.csv",
        "c.set-aside.csv",
        "nofolder/x.csv",
        "r.html",
        "p.png",
        "map.yaml",
        ".",
    ]
)


@FUZZ
@given(
    o=st.one_of(st.none(), OUTPUT_NAMES),
    aside=st.one_of(st.none(), OUTPUT_NAMES),
    skip=st.booleans(),
    report=st.one_of(st.none(), OUTPUT_NAMES),
)
def test_output_options_never_overwrite_an_input_or_another_output(work, o, aside, skip, report):
    """Whatever outputs are named: exit 0 or 2; the input, its hard link and any file that was
    there before are unchanged unless they were the one output named; rows out + set aside = rows in."""
    import pandas as pd

    (work / "c.csv").write_text("case_id,ihc_cdx2,age_years\na,positive,61\nb,maybe,55\nc,negative,40\n")
    if not (work / "link.csv").exists():
        os.link(work / "c.csv", work / "link.csv")
    (work / "out.csv").write_text("earlier output\n")
    before = {p.name: p.read_bytes() for p in work.iterdir() if p.is_file()}
    args = (
        ["score", "c.csv"]
        + (["-o", o] if o else [])
        + (["--set-aside", aside] if aside else [])
        + (["--skip-invalid"] if skip else [])
        + (["--report", report] if report else [])
    )
    result = invoke(args, work, allowed={x for x in (o, aside, report, "c.set-aside.csv") if x})
    for name, data in before.items():
        if result.exit_code != 0 or name not in (o, aside, "c.set-aside.csv"):
            assert (work / name).read_bytes() == data, (args, name)
    if result.exit_code == 0 and o in ("out.csv", "out.parquet"):
        read = pd.read_csv if o.endswith(".csv") else pd.read_parquet
        aside_file = work / (aside or "c.set-aside.csv")
        n_aside = len(pd.read_csv(aside_file)) if skip and aside_file.exists() else 0
        assert len(read(work / o)) + n_aside == 3
