"""What the docs quote is what the tool prints today (regenerate: python tests/make_docs.py), and
every results file that measures the shipped model names the shipped bundle."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from make_docs import DOCS, blocks, command_output, first_table, floors

from netorigin.app import run_task
from netorigin.estimator import load_bundle
from netorigin.io import default_model_path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = load_bundle(default_model_path()).identity_.bundle_hash[:12]
# results that measure the shipped model (benchmark.md trains its own; score.md and serve.txt are timings)
OF_THE_SHIPPED_MODEL = ["advice.md", "learning.md", "seed_cohort.md", "sets.md", "sparse.md", "trust.md"]


def _all_blocks():
    return [(doc.relative_to(ROOT).as_posix(), *b) for doc in DOCS for b in blocks(doc.read_text())]


def test_the_docs_quote_generated_blocks():
    kinds = {k for _, k, _, _ in _all_blocks()}
    assert kinds == {"output", "table", "floors"}


def test_the_picture_of_the_floors_is_the_house_today():
    (body,) = [b for _, k, _, b in _all_blocks() if k == "floors"]
    assert body == floors(), "docs/development.md: regenerate with python tests/make_docs.py"
    packages = [line.split()[0] for line in body.splitlines() if line[:1].isalpha() and "modules" in line]
    assert 7 <= len(packages) <= 10, packages  # about eight floors that follow the data


@pytest.mark.parametrize("doc,kind,what,body", [b for b in _all_blocks() if b[1] == "output"])
def test_every_quoted_output_is_what_the_command_prints_today(doc, kind, what, body):
    assert body == command_output(what), f"{doc}: regenerate with python tests/make_docs.py"


@pytest.mark.parametrize("doc,kind,what,body", [b for b in _all_blocks() if b[1] == "table"])
def test_every_quoted_table_is_its_results_file(doc, kind, what, body):
    assert body == first_table(what), f"{doc}: regenerate with python tests/make_docs.py"


@pytest.mark.parametrize("name", OF_THE_SHIPPED_MODEL)
def test_every_result_of_the_shipped_model_names_the_shipped_bundle(name):
    text = (ROOT / "benchmarks" / "results" / name).read_text()
    named = set(re.findall(r"bundle ([0-9a-f]{12})", text))
    assert named == {SHIPPED}, f"{name} measured bundle(s) {named}; rerun its benchmark for {SHIPPED}"


def test_the_seed_cohort_results_are_what_the_pipeline_writes_today(tmp_path):
    cfg = (ROOT / "pipelines" / "seed_cohort.yaml").read_text()
    out = tmp_path / "seed.md"
    (tmp_path / "p.yaml").write_text(
        cfg.replace("output: benchmarks/results/seed_cohort.md", f"output: {out}")
        .replace("path: data/seed_cohort.csv", f"path: {ROOT / 'data' / 'seed_cohort.csv'}")
        .replace("model: data/models/default", f"model: {ROOT / 'data' / 'models' / 'default'}")
        .replace("tests: data/examples/", f"tests: {ROOT / 'data' / 'examples'}/")
    )
    run_task(tmp_path / "p.yaml", track=False)
    assert first_table(str(out)) == first_table("benchmarks/results/seed_cohort.md")


def test_the_sets_results_json_is_of_the_shipped_bundle():
    data = json.loads((ROOT / "benchmarks" / "results" / "sets.json").read_text())
    assert data["bundle_hash"][:12] == SHIPPED


def _documented_commands():
    """Every `netorigin ...` line of a bash block in the README and docs/ (comments dropped)."""
    import shlex

    out = []
    for doc in DOCS:
        for block in doc.read_text().split("```bash\n")[1:]:
            for line in block.split("```")[0].splitlines():
                line = line.split("  #")[0].strip()
                if "netorigin " not in line or line.startswith("#"):
                    continue
                cmd = line[line.index("netorigin ") :].split("&&")[0].split("|")[0].split(">")[0]
                out.append((doc.relative_to(ROOT).as_posix(), shlex.split(cmd)[1:]))
    return out


@pytest.mark.parametrize("doc,args", _documented_commands(), ids=lambda x: " ".join(x) if isinstance(x, list) else x)
def test_every_documented_command_exists_with_its_options_and_required_arguments(doc, args):
    import click

    from netorigin.cli import main

    cmd, rest = main, list(args)
    while isinstance(cmd, click.Group):
        assert rest and rest[0] in cmd.commands, f"{doc}: {' '.join(args)}: no command {rest[:1]}"
        cmd, rest = cmd.commands[rest[0]], rest[1:]
    options = {o: p for p in cmd.params if isinstance(p, click.Option) for o in (*p.opts, *p.secondary_opts)}
    given, positional, i = set(), [], 0
    while i < len(rest):
        tok = rest[i]
        if tok.startswith("-") and tok != "-":
            name = tok.split("=")[0]
            assert name in options, f"{doc}: {' '.join(args)}: {name} is not an option of this command"
            p = options[name]
            given.add(p.name)
            if not p.is_flag and "=" not in tok:
                i += 1
        else:
            positional.append(tok)
        i += 1
    for p in cmd.params:
        if isinstance(p, click.Option) and p.required:
            assert p.name in given, f"{doc}: {' '.join(args)}: the required {p.opts[0]} is missing"
    required_args = [p for p in cmd.params if isinstance(p, click.Argument) and p.required]
    assert len(positional) >= len(required_args), f"{doc}: {' '.join(args)}: missing an argument"


def _shell_lines():
    """(doc, line, where it is explained: the line, its block and the paragraph before the block)
    for every line of a bash block in the README and docs/ that runs netorigin or mlflow."""
    out = []
    for doc in DOCS:
        parts = doc.read_text().split("```bash\n")
        for before, block in zip(parts, parts[1:]):
            body = block.split("```")[0]
            paragraph = before.rstrip().split("\n\n")[-1]
            for line in body.splitlines():
                if re.search(r"(^|[\s/])(netorigin|mlflow) ", line) and not line.lstrip().startswith("#"):
                    out.append((doc.relative_to(ROOT).as_posix(), line, paragraph + "\n" + body))
    return out


def _extras_of(line: str) -> set[str]:
    """The extras a documented command line needs: netorigin's own rule (checked before any work
    by every command), or MLflow's."""
    import shlex

    import click

    from netorigin.cli import main
    from netorigin.cli._common import needed_extras

    if re.search(r"(^|[\s/])mlflow ", line):
        return {"tracking"}
    cmd = line[line.index("netorigin ") :].split("  #")[0].split("&&")[0].split("|")[0].split(">")[0]
    args = [a for a in shlex.split(cmd)[1:] if not a.startswith("[") and not a.endswith("]")]
    group = main
    while isinstance(group, click.Group) and args and args[0] in group.commands:
        group, args = group.commands[args[0]], args[1:]
    ctx = group.make_context(group.name, args, resilient_parsing=True)
    return {need.extra for need in needed_extras(group.callback.__name__, ctx.params)}


@pytest.mark.parametrize("doc,line,context", _shell_lines(), ids=lambda x: x if "\n" not in x else None)
def test_a_documented_command_that_needs_an_extra_says_which(doc, line, context):
    for extra in sorted(_extras_of(line)):
        assert re.search(rf"\[{extra}\]|`{extra}` extra", context), (
            f"{doc}: `{line.strip()}` needs netorigin[{extra}]; say so on its line, its block or the paragraph before"
        )


def test_the_extras_rule_knows_what_the_docs_rely_on():
    assert _extras_of("netorigin serve --port 8000") == {"serve"}
    assert _extras_of("netorigin train --data c.csv --register m") == {"tracking"}
    assert _extras_of("netorigin train --data c.csv --no-track") == set()
    assert _extras_of("netorigin score big/ -o scored/ --engine dask") == {"dask"}
    assert _extras_of("netorigin synth --n 10 --partitions 2 -o big/") == {"parquet"}
    assert _extras_of(".venv/bin/mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db") == {"tracking"}
