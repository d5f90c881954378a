"""Every value a bundle stores is checked for range, shape and size when it is read, even when
the bundle was edited on purpose and its sha256 sums made to agree again (``_helpers.rehash``):
refused naming the file and the value, never loaded to change an answer, never a traceback."""

import csv
import io
import json
import random
import shutil

import numpy as np
import pytest
from _helpers import rehash, run

from netorigin.estimator import load_bundle, save_bundle
from netorigin.exceptions import InputError
from netorigin.io import default_model_path, example_case_path
from netorigin.models import MODEL_KINDS


@pytest.fixture(scope="module")
def bundles(trained_kinds, tmp_path_factory):
    """A saved bundle of every kind (the session's small models)."""
    root = tmp_path_factory.mktemp("kinds")
    for kind, result in trained_kinds.items():
        save_bundle(result.model, root / kind)
    return root


def _copy(src, tmp_path):
    dest = tmp_path / "b"
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(src, dest)
    return dest


def _edit_json(bundle, name, edit):
    obj = json.loads((bundle / name).read_text())
    edit(obj)
    rehash(bundle, **{name: json.dumps(obj, allow_nan=True).encode()})


def _npy(arr) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


def _refused(bundle, file, *value):
    with pytest.raises(InputError) as e:
        load_bundle(bundle)
    msg = str(e.value)
    assert f"{bundle.resolve() / file}:" in msg, msg
    for v in value:
        assert v in msg, msg
    return msg


# ------------------------------------------------------------------ what the red team tried
def test_a_fitted_mean_of_1e300_is_refused_naming_the_file_and_the_value(bundles, tmp_path):
    b = _copy(bundles / "logistic", tmp_path)
    _edit_json(b, "features.json", lambda d: d["mean"].__setitem__(0, 1e300))
    _refused(b, "features.json", "mean[0]: 1e+300", "from 0 to 120")  # the mean age of the training cases


@pytest.mark.parametrize("value, said", [(50.0, "50.0"), (float("nan"), "nan"), (-1e300, "-1e+300")])
def test_a_log_prior_out_of_range_is_refused_not_loaded(bundles, tmp_path, value, said):
    b = _copy(bundles / "latent-class", tmp_path)
    _edit_json(b, "latent/model.json", lambda d: d["log_prior"].__setitem__(0, value))
    _refused(b, "latent/model.json", f"log_prior[0]: {said}")


def test_log_priors_that_are_not_a_distribution_are_refused(bundles, tmp_path):
    b = _copy(bundles / "latent-class", tmp_path)
    _edit_json(b, "latent/model.json", lambda d: d.__setitem__("log_prior", [-0.1] * len(d["log_prior"])))
    _refused(b, "latent/model.json", "add up to")


@pytest.mark.parametrize(
    "edit, said",
    [
        (lambda c, n: np.where(np.arange(c.shape[1]) == 0, -2.0, c), "probabilities[0, 0]: -2.0"),
        (lambda c, n: np.column_stack([np.zeros((len(c), n)), c[:, n:]]), "add up to 0"),
        (lambda c, n: np.column_stack([c[:, :n] * 0.5, c[:, n:]]), "add up to 0.5"),
        (lambda c, n: np.column_stack([c[:, :n], np.full(len(c), 99.0), c[:, n + 1 :]]), "label index[0]: 99.0"),
        (lambda c, n: np.column_stack([c[:, :-1], np.full(len(c), -3.0)]), "informative fields[0]: -3.0"),
        (lambda c, n: c[:0], "there are none"),
    ],
)
def test_calibration_probabilities_out_of_range_are_refused(bundles, tmp_path, edit, said):
    b = _copy(bundles / "xgboost", tmp_path)
    n = len(json.loads((b / "manifest.json").read_text())["labels"])
    cases = np.load(b / "calibration_cases.npy", allow_pickle=False)
    rehash(b, **{"calibration_cases.npy": _npy(edit(cases, n))})
    _refused(b, "calibration_cases.npy", said)


def test_a_huge_calibration_file_is_refused_before_it_is_read(bundles, tmp_path):
    """240 MB of calibration cases (a sparse file: nothing is written to disk) is refused from its
    size alone, before a byte is read or hashed."""
    import time

    b = _copy(bundles / "xgboost", tmp_path)
    with open(b / "calibration_cases.npy", "r+b") as fh:
        fh.truncate(240 * 1024 * 1024)
    start = time.perf_counter()
    _refused(b, "calibration_cases.npy", "larger than")
    assert time.perf_counter() - start < 1.0


def test_more_calibration_cases_than_kept_are_sampled_when_fitted(monkeypatch):
    """What training keeps is what a bundle may hold: beyond the cap, a fixed random sample."""
    from netorigin.estimator import ConformalSets, _conformal

    monkeypatch.setattr(_conformal, "MAX_CALIBRATION_CASES", 100)
    rng = np.random.default_rng(0)
    p = rng.dirichlet([1, 1, 1], size=250)
    sets = ConformalSets().fit(p, np.arange(250) % 3, label_site=[0, 1, 2])
    assert len(sets.cal_y_) == 100 and sets.n_seen_ == 250
    again = ConformalSets().fit(p, np.arange(250) % 3, label_site=[0, 1, 2])
    np.testing.assert_array_equal(sets.cal_proba_, again.cal_proba_)


@pytest.mark.parametrize(
    "edit, said",
    [
        (lambda m: m["label_prior"].__setitem__(0, 1e-300), "label_prior[0]: 1e-300"),
        (lambda m: m.__setitem__("label_prior", [x * 2 for x in m["label_prior"]]), "add up to 2"),
        (lambda m: m["train_prior"].__setitem__(0, 0.9), "train_prior"),
        (lambda m: m["metrics"].__setitem__("test_accuracy", float("nan")), "metrics.test_accuracy"),
        (lambda m: m["labels"].__setitem__(0, "mars"), "labels"),
        (lambda m: m.__setitem__("random_state", -1), "random_state"),
    ],
)
def test_manifest_values_out_of_range_are_refused(bundles, tmp_path, edit, said):
    b = _copy(bundles / "xgboost", tmp_path)
    manifest = json.loads((b / "manifest.json").read_text())
    edit(manifest)
    (b / "manifest.json").write_text(json.dumps(manifest, allow_nan=True))
    rehash(b)
    with pytest.raises(InputError, match="manifest.json") as e:
        load_bundle(b)
    assert said in str(e.value)


@pytest.mark.parametrize(
    "kind, file, edit, said",
    [
        ("xgboost", "calibration.json", lambda d: d["temperature"].__setitem__(0, 1e-300), "temperature[0]: 1e-300"),
        ("xgboost", "calibration.json", lambda d: d["bias"].__setitem__(1, 1e300), "bias[1]: 1e+300"),
        ("logistic", "features.json", lambda d: d["scale_values"].__setitem__(3, 0.0), "scale_values[3]: 0.0"),
        ("logistic", "linear.json", lambda d: d["coef"][0].__setitem__(0, float("nan")), "coef[0, 0]: nan"),
        ("mlp", "mlp.json", lambda d: d["biases"][0].__setitem__(0, -1e300), "biases[0][0]: -1e+300"),
        ("rules", "rules.json", lambda d: d["rules"][0].__setitem__(3, float("inf")), "points: inf"),
        ("latent-class", "latent/cells.json", lambda d: d["subsite_share"].__setitem__(0, 2.0), "subsite_share[0]"),
        ("xgboost", "training_profile.json", lambda d: d.__setitem__("n_cases", -5), "n_cases: -5.0"),
        ("xgboost", "knowledge/cells.json", lambda d: d.__setitem__("literature_weight", 1e300), "literature_weight"),
    ],
)
def test_each_part_refuses_its_values_out_of_range(bundles, tmp_path, kind, file, edit, said):
    b = _copy(bundles / kind, tmp_path)
    _edit_json(b, file, edit)
    _refused(b, file, said)


def test_a_parameter_table_error_names_its_file(bundles, tmp_path):
    b = _copy(bundles / "latent-class", tmp_path)
    rows = list(csv.DictReader(io.StringIO((b / "latent/parameters.csv").read_text())))
    row = next(r for r in rows if r["parameter"] == "mean:age_years")
    row["value"] = "1e300"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    rehash(b, **{"latent/parameters.csv": buf.getvalue().encode()})
    msg = _refused(b, "latent/parameters.csv", "'mean:age_years'", "1e+300", "from 18 to 95")
    assert "synthetic parameters" not in msg
    # and a parameter file given to the generator names that file
    from netorigin.io import data_path

    bad = tmp_path / "my-parameters.csv"
    text = data_path("synthetic", "parameters.csv").read_text().splitlines()
    bad.write_text(
        "\n".join(
            line.replace(",ileal,0.", ",ileal,1.", 1) if line.startswith("rate:ihc_cdx2=positive,ileal,") else line
            for line in text
        )
        + "\n"
    )
    r = run("synth", "--n", "10", "--parameters", bad, "-o", tmp_path / "x.csv")
    assert (
        r.returncode == 2 and f"{bad}: 'rate:ihc_cdx2=positive'" in r.stderr and "synthetic parameters" not in r.stderr
    )


# ------------------------------------------------------------------ every stored number, swept
def _numbers(obj, path=()):
    if isinstance(obj, dict):
        for k, x in obj.items():
            yield from _numbers(x, (*path, k))
    elif isinstance(obj, list):
        for i, x in enumerate(obj):
            yield from _numbers(x, (*path, i))
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield path


def _set(obj, path, value):
    for p in path[:-1]:
        obj = obj[p]
    obj[path[-1]] = value


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_every_stored_number_out_of_range_is_refused_naming_its_file(bundles, tmp_path, kind):
    """A sample of every file's numbers (every JSON and CSV a kind writes), each set to NaN,
    1e300 or -1e300 in turn: the bundle is refused, naming the file."""
    rng = random.Random(kind)
    src = bundles / kind
    files = sorted(p.relative_to(src).as_posix() for p in src.rglob("*") if p.suffix in (".json", ".csv"))
    tried = 0
    for name in files:
        if name == "manifest.json":
            continue
        text = (src / name).read_text()
        if name.endswith(".json"):
            obj = json.loads(text)
            paths = list(_numbers(obj))
            picks = [("json", p) for p in rng.sample(paths, min(3, len(paths)))]
        else:
            rows = list(csv.DictReader(io.StringIO(text)))
            picks = [("csv", i) for i in rng.sample(range(len(rows)), min(3, len(rows)))]
        for j, (how, where) in enumerate(picks):
            value = (float("nan"), 1e300, -1e300)[(j + tried) % 3]
            b = _copy(src, tmp_path)
            if how == "json":
                obj = json.loads(text)
                _set(obj, where, value)
                data = json.dumps(obj, allow_nan=True).encode()
            else:
                rows = list(csv.DictReader(io.StringIO(text)))
                rows[where]["value"] = repr(value)
                buf = io.StringIO()
                w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
                w.writeheader()
                w.writerows(rows)
                data = buf.getvalue().encode()
            rehash(b, **{name: data})
            with pytest.raises(InputError) as e:
                load_bundle(b)
            assert f"{b.resolve() / name}:" in str(e.value), (name, where, value, str(e.value))
            tried += 1
    assert tried >= 6


def test_the_shipped_model_and_every_kind_still_load_and_score(bundles):
    from netorigin.inference import case_report, score_cases
    from netorigin.io import load_cases

    v = load_cases(example_case_path())
    for folder in [default_model_path(), *(bundles / k for k in MODEL_KINDS)]:
        rep = case_report(score_cases(load_bundle(folder), v.cases, notices=v.notices), 0)
        assert abs(sum(rep["probabilities"].values()) - 1) < 1e-9 and rep["prediction_set"]
