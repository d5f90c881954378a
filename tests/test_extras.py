"""The optional parts of netorigin (extras): a command that needs one that is not installed is
refused before any work, naming the extra and the command that installs it the way this netorigin
was installed (a clone: ``pip install -e '.[serve]'``; the index: ``pip install 'netorigin[serve]'``)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
from _helpers import run

from netorigin._extras import EXTRAS, MODULES, install_command

ROOT = Path(__file__).resolve().parents[1]


def test_every_extra_of_the_package_is_known_with_the_modules_it_installs():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert set(EXTRAS) == set(MODULES) == set(extras) - {"all", "test"}
    for extra, modules in MODULES.items():
        names = {r.split(";")[0].split(">")[0].split("[")[0].strip().lower() for r in extras[extra]}
        assert set(modules) <= names, (extra, set(modules) - names)


def test_the_hint_names_the_clone_when_netorigin_runs_from_one(tmp_path):
    (tmp_path / "constraints.txt").write_text("")
    python = tmp_path / ".venv" / "bin" / "python"
    clone = {"url": tmp_path.as_uri(), "dir_info": {"editable": True}}
    here = install_command("serve", direct_url=clone, cwd=tmp_path, executable=str(python))
    assert here == ".venv/bin/python -m pip install -c constraints.txt -e '.[serve]'"
    python.parent.mkdir(parents=True)
    (python.parent / "pip").write_text("")
    elsewhere = install_command("serve", direct_url=clone, cwd=tmp_path.parent, executable=str(python))
    assert elsewhere.endswith(f"pip install -c {tmp_path / 'constraints.txt'} -e '{tmp_path}[serve]'")
    assert elsewhere.startswith(f"{tmp_path.name}/.venv/bin/pip install"), elsewhere  # inside the working folder
    (tmp_path / "work").mkdir()
    outside = install_command("serve", direct_url=clone, cwd=tmp_path / "work", executable=str(python))
    assert outside.startswith(f"{python.parent / 'pip'} install"), outside


def test_the_hint_names_the_index_or_the_source_it_came_from(tmp_path):
    python = str(tmp_path / "bin" / "python")
    assert install_command("dask", direct_url=None, executable=python).endswith("-m pip install 'netorigin[dask]'")
    wheel = {"url": "file:///wheels/netorigin-0.2.0-py3-none-any.whl", "archive_info": {}}
    assert install_command("dask", direct_url=wheel, executable=python).endswith(
        "install 'netorigin[dask] @ file:///wheels/netorigin-0.2.0-py3-none-any.whl'"
    )
    git = {"url": "https://example.org/netorigin.git", "vcs_info": {"vcs": "git", "commit_id": "abc"}}
    assert install_command("dask", direct_url=git, executable=python).endswith(
        "install 'netorigin[dask] @ git+https://example.org/netorigin.git@abc'"
    )
    folder = {"url": "file:///src/netorigin", "dir_info": {}}
    assert install_command("dask", direct_url=folder, executable=python).endswith("install '/src/netorigin[dask]'")


def test_this_clone_is_named_as_the_clone_it_is():
    # the test suite runs from an editable install of this clone (the README's command)
    if (ROOT / "netorigin" / "__init__.py").resolve() != Path(sys.modules["netorigin"].__file__).resolve():
        pytest.skip("netorigin is not imported from this clone (a wheel under test)")
    hint = install_command("serve", cwd=ROOT)
    assert hint.endswith("install -c constraints.txt -e '.[serve]'"), hint


def _cohort(tmp_path, small_cohort) -> Path:
    path = tmp_path / "cohort.csv"
    small_cohort.iloc[:300].to_csv(path, index=False)
    return path


def _no_work(monkeypatch):
    """Any training, evaluation, scoring or cohort drawn from here on fails the test."""
    import netorigin.app._scoring as scoring
    import netorigin.inference as inference
    import netorigin.literature as synth
    import netorigin.training as training
    import netorigin.training._train as training_module

    def work(*args, **kwargs):
        raise AssertionError("work was started before the missing extra was refused")

    for module, name in (
        (training, "train"),
        (training_module, "labelled_cases"),
        (inference, "score_cohort"),
        (inference, "score_cases"),
        (synth, "make_synthetic_cohort"),
        (scoring, "score_path"),
    ):
        monkeypatch.setattr(module, name, work)


COMMANDS = [  # (missing modules, arguments, the extra, what else the message says)
    (("mlflow",), ["train", "--data", "{cohort}"], "tracking", "--no-track"),
    (("mlflow",), ["train", "--data", "{cohort}", "--register", "x"], "tracking", "--no-track"),
    (("mlflow",), ["evaluate", "--model", "{model}", "--data", "{cohort}"], "tracking", "--no-track"),
    (("mlflow",), ["run", "{pipeline}"], "tracking", "--no-track"),
    (("mlflow",), ["score", "{case}", "--model", "models:/m@champion"], "tracking", "MLflow"),
    (("matplotlib",), ["score", "{case}", "--plot", "{out}/chart.png"], "tracking", "--plot"),
    (("fastapi", "uvicorn"), ["serve", "--port", "1"], "serve", "netorigin serve"),
    (("pyarrow",), ["score", "{cohort}", "-o", "{out}/scored.parquet"], "parquet", "scored.parquet"),
    (("pyarrow",), ["synth", "--n", "50", "-o", "{out}/c.parquet"], "parquet", "c.parquet"),
    (("pyarrow",), ["synth", "--n", "50", "--partitions", "2", "-o", "{out}/parts"], "parquet", "--partitions"),
    (("dask",), ["train", "--data", "{out}", "--engine", "dask", "--no-track"], "dask", "--engine dask"),
    (("dask",), ["score", "{out}", "--engine", "dask", "-o", "{out}/s"], "dask", "--engine dask"),
]


def _id(x):
    return " ".join(x) if isinstance(x, list) else None


@pytest.mark.parametrize("missing,args,extra,said", COMMANDS, ids=_id)
def test_a_command_without_its_extra_is_refused_before_any_work(
    tmp_path, small_cohort, monkeypatch, missing, args, extra, said
):
    from netorigin.io import default_model_path, example_case_path

    out = tmp_path / "out"
    out.mkdir()
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text("task: train\ndata: {synthetic: {n: 300}}\nmodel: {kind: rules}\noutput: " + str(out / "b"))
    names = {
        "cohort": _cohort(tmp_path, small_cohort),
        "model": default_model_path(),
        "pipeline": pipeline,
        "case": example_case_path(),
        "out": out,
    }
    for module in missing:
        monkeypatch.setitem(sys.modules, module, None)  # not installed: find_spec and import both fail
    _no_work(monkeypatch)
    r = run(*[a.format(**names) for a in args], cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "work was started" not in r.stderr
    assert f"the optional part {extra!r} of netorigin" in r.stderr and f"[{extra}]" in r.stderr, r.stderr
    assert "pip install" in r.stderr and said in r.stderr, r.stderr
    assert not list(out.iterdir()) and not (tmp_path / "bundles").exists() and not (tmp_path / "mlruns").exists()


def test_train_without_tracking_needs_no_mlflow(tmp_path, small_cohort, monkeypatch):
    monkeypatch.setitem(sys.modules, "mlflow", None)
    r = run("train", "--data", _cohort(tmp_path, small_cohort), "--kind", "rules", "--no-track", "--bootstrap", "0")
    assert r.returncode == 0, r.stderr


def test_the_library_refuses_a_tracked_run_without_mlflow_before_training(small_cohort, monkeypatch, tmp_path):
    from netorigin.app import run_task
    from netorigin.exceptions import InputError
    from netorigin.training import evaluate_run, train_run

    monkeypatch.setitem(sys.modules, "mlflow", None)
    _no_work(monkeypatch)
    with pytest.raises(InputError, match=r"optional part 'tracking'.*pip install"):
        train_run(small_cohort, out_dir=tmp_path / "b", tracking_uri="sqlite:///x.db")
    with pytest.raises(InputError, match=r"optional part 'tracking'"):
        evaluate_run("no-such-bundle", small_cohort, tracking_uri="sqlite:///x.db")
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text("task: train\ndata: {synthetic: {n: 300}}\nmodel: {kind: rules}\n")
    with pytest.raises(InputError, match=r"optional part 'tracking'"):
        run_task(pipeline, tracking_uri="sqlite:///x.db")
    assert not list(tmp_path.glob("b*"))


def test_register_without_tracking_is_refused_not_ignored(tmp_path, small_cohort, monkeypatch):
    _no_work(monkeypatch)
    r = run("train", "--data", _cohort(tmp_path, small_cohort), "--no-track", "--register", "m", cwd=tmp_path)
    assert r.returncode == 2 and "--register names the model" in r.stderr and "--no-track" in r.stderr, r.stderr
    assert not (tmp_path / "bundles").exists()


def test_a_pipeline_run_untracked_says_its_model_was_not_registered(tmp_path):
    from netorigin.app import run_task

    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(
        f"task: train\ndata: {{synthetic: {{n: 300}}}}\nmodel: {{kind: rules}}\nregister: mine\nn_bootstrap: 0\n"
        f"output: {tmp_path / 'b'}\n"
    )
    out = run_task(pipeline, track=False)
    assert any("not registered as 'mine'" in n for n in out["notices"]), out["notices"]


def test_a_pipeline_writing_parquet_without_pyarrow_is_refused_before_scoring(tmp_path, monkeypatch):
    from netorigin.app import run_task
    from netorigin.exceptions import InputError

    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(f"task: score\ndata: {{synthetic: {{n: 50}}}}\noutput: {tmp_path / 'scored.parquet'}\n")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    _no_work(monkeypatch)
    with pytest.raises(InputError, match=r"scored.parquet \(a Parquet file\) needs the optional part 'parquet'"):
        run_task(pipeline, track=False)
