"""The README stays true: its contract table is the generated one, its commands match .ci/run."""

from pathlib import Path

from netorigin.contract import contract_markdown

ROOT = Path(__file__).resolve().parents[1]


def test_readme_contract_table_is_generated_from_the_schema():
    assert contract_markdown() in (ROOT / "README.md").read_text()


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
    files = [p.relative_to(ROOT / "data").as_posix() for p in (ROOT / "data").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts]
    assert files
    def shipped(f, pat):  # '*' stays within one folder, '**' crosses folders, as in setuptools
        path, glob = PurePosixPath(f), PurePosixPath(pat)
        if "**" in pat:
            return path.match(pat) or path.match(pat.replace("**/", ""))
        return len(path.parts) == len(glob.parts) and path.match(pat)

    for f in files:
        assert any(shipped(f, pat) for pat in patterns), f
