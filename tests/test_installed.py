"""A non-editable wheel, installed away from the clone, scores the example case and passes the
suite's installed-package tests (those marked ``installed``, which read data through the package)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(work / "dist"),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    wheel = next((work / "dist").glob("netorigin-*.whl"))
    r = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(work / "site"), str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    env = {**os.environ, "PYTHONPATH": str(work / "site"), "NETORIGIN_EXPECT_INSTALLED_AT": str(work / "site")}
    env.pop("NETORIGIN_DATA", None)
    return work, env


def test_the_wheel_carries_its_data_and_scores_the_example_case(installed):
    work, env = installed
    site = work / "site" / "netorigin"
    assert not (site / "data").is_symlink() and (site / "data" / "models" / "default" / "manifest.json").is_file()
    r = subprocess.run(
        [sys.executable, "-c", "import netorigin.io as d; print(d.example_case_path())"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    example = r.stdout.strip()
    assert example.startswith(str(site)), (example, r.stderr)
    r = subprocess.run(
        [sys.executable, "-m", "netorigin", "score", example, "--report", str(work / "r.html")],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "90% prediction set" in r.stdout and "not a medical device" in r.stdout
    assert "Total for ileal" in (work / "r.html").read_text()  # the page templates are in the wheel


def test_the_installed_package_passes_the_installed_tests(installed):
    work, env = installed
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-m",
            "installed and not slow",
            "-p",
            "no:cacheprovider",
            "-c",
            str(ROOT / "pyproject.toml"),
            "--rootdir",
            str(ROOT),
            str(ROOT / "tests"),
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert " passed" in r.stdout and " failed" not in r.stdout
