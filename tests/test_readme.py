"""The README stays true: its commands match .ci/run, every promise names the test or benchmark
that checks it, and the reference pages are generated from the code they describe."""

from pathlib import Path

from netorigin.contract import contract_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_the_contract_page_table_is_generated_from_the_schema():
    assert contract_markdown() in (ROOT / "docs" / "contract.md").read_text()


def test_the_cli_reference_is_generated_from_the_commands():
    from netorigin.cli._docs import cli_reference

    assert (ROOT / "docs" / "cli.md").read_text() == cli_reference(), (
        "regenerate: python -m netorigin.cli._docs > docs/cli.md"
    )


def test_every_readme_promise_names_a_test_or_benchmark_that_exists():
    import re

    readme = (ROOT / "README.md").read_text()
    section = readme.split("## What it promises, and where that is checked")[1].split("\n## ")[0]
    rows = [r for r in section.splitlines() if r.startswith("| ") and not r.startswith("| promise")]
    assert len(rows) >= 10
    for row in rows:
        refs = re.findall(r"`((?:tests|benchmarks)/[\w/]+\.py)`", row.split("|")[2])
        assert refs, f"a promise without a check: {row}"
        for ref in refs:
            path = ROOT / ref
            assert path.is_file(), ref
            if ref.startswith("tests/"):
                assert re.search(r"^def test_", path.read_text(), re.M), ref
            else:  # a benchmark prints its figures and keeps them in benchmarks/results/
                stem = path.stem.replace("_benchmark", "")
                assert list((ROOT / "benchmarks" / "results").glob(f"{stem}*")), ref


def test_the_readme_links_resolve():
    import re

    readme = (ROOT / "README.md").read_text()
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), target
    for page in (ROOT / "docs").glob("*.md"):
        for target in re.findall(r"\]\(([^)#]+)\)", page.read_text()):
            if not target.startswith("http"):
                assert (page.parent / target).exists(), (page.name, target)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    blocks = [b.split("```")[0].strip() for b in readme.split("```bash\n")[1:]]
    test_cmd = blocks[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_cmd in ci
    assert "pytest" in test_cmd


def test_every_data_file_is_shipped_in_the_package():
    """A non-editable install must carry the data the code reads (package-data globs)."""
    import tomllib
    from pathlib import PurePosixPath

    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert cfg["tool"]["setuptools"]["package-dir"]["netorigin.data"] == "data"
    patterns = cfg["tool"]["setuptools"]["package-data"]["netorigin.data"]
    files = [
        p.relative_to(ROOT / "data").as_posix()
        for p in (ROOT / "data").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    assert files

    def shipped(f, pat):  # '*' stays within one folder, '**' crosses folders, as in setuptools
        path, glob = PurePosixPath(f), PurePosixPath(pat)
        if "**" in pat:
            return path.match(pat) or path.match(pat.replace("**/", ""))
        return len(path.parts) == len(glob.parts) and path.match(pat)

    for f in files:
        assert any(shipped(f, pat) for pat in patterns), f
