"""The compiled trees (netorigin/_runtime/_trees.py) against xgboost itself.

The reference is xgboost's own ``pred_contribs`` (path-dependent TreeSHAP) and its margins, on
boosters trained here on random data with missing values, repeated features within a tree and
trees cut short (a child that is a leaf)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from netorigin._runtime import CompiledTrees, compile_booster
from netorigin.exceptions import InputError

xgb = pytest.importorskip("xgboost")


def _booster(depth: int, n_class: int = 4, rounds: int = 30, seed: int = 0, min_child_weight: float = 1.0):
    rng = np.random.default_rng(seed)
    n, f = 600, 7
    X = rng.normal(size=(n, f)).astype(np.float32)
    X[:, 2] = np.round(X[:, 2])  # ties at thresholds
    X[rng.random((n, f)) < 0.25] = np.nan  # tests not done
    y = (np.nan_to_num(X[:, 0]) + 0.5 * np.nan_to_num(X[:, 1]) ** 2 + rng.normal(size=n) > 0).astype(int)
    y = (y + (np.nan_to_num(X[:, 3]) > 0.7) * 2) % n_class
    params = {
        "objective": "multi:softprob",
        "num_class": n_class,
        "max_depth": depth,
        "eta": 0.3,
        "base_score": 0.5,
        "min_child_weight": min_child_weight,
        "seed": seed,
        "verbosity": 0,
    }
    return xgb.train(params, xgb.DMatrix(X, label=y, missing=np.nan), rounds), X, rng


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_contributions_and_margins_equal_xgboost(seed):
    booster, X, rng = _booster(2, seed=seed, min_child_weight=float(seed * 20))  # seed 2: short trees
    trees = compile_booster(booster)
    assert trees is not None
    fresh = rng.normal(size=(300, X.shape[1])).astype(np.float32)
    fresh[rng.random(fresh.shape) < 0.3] = np.nan
    fresh[:50] = X[:50]  # values exactly at thresholds come from the training data
    dm = xgb.DMatrix(fresh, missing=np.nan)
    theirs = booster.predict(dm, pred_contribs=True).reshape(len(fresh), 4, -1)
    ours = trees.contributions(fresh)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=2e-5)
    margins = booster.predict(dm, output_margin=True).reshape(len(fresh), -1)
    np.testing.assert_allclose(trees.margins(fresh), margins, rtol=0, atol=5e-5)
    # the contributions add up to the margins exactly (Shapley efficiency, up to float64 rounding)
    np.testing.assert_allclose(ours.sum(axis=2), trees.margins(fresh), rtol=0, atol=1e-12)


def test_some_trees_repeat_a_feature_and_some_stop_early():
    """The cases the closed form must get right are present in the boosters tested above."""
    booster, _, _ = _booster(2, seed=0)
    trees = compile_booster(booster)
    repeats = (trees.feature[:, 0] == trees.feature[:, 1]) | (trees.feature[:, 0] == trees.feature[:, 2])
    assert repeats.any()
    short, _, _ = _booster(2, seed=2, min_child_weight=40.0)
    t2 = compile_booster(short)
    assert (t2.feature == t2.n_features).any()  # a child that is a leaf: "no split" slot


def test_a_case_is_explained_the_same_alone_and_in_a_batch():
    booster, X, _ = _booster(2, seed=1)
    trees = compile_booster(booster)
    batch = trees.contributions(X[:300])  # more than one block of rows
    for i in (0, 127, 128, 299):
        np.testing.assert_array_equal(trees.contributions(X[[i]])[0], batch[i])


def test_deeper_boosters_are_left_to_xgboost():
    booster, _, _ = _booster(3, seed=0)
    assert compile_booster(booster) is None


def test_tables_round_trip_without_pickle_and_refuse_damage():
    booster, X, _ = _booster(2, seed=0)
    trees = compile_booster(booster)
    back = CompiledTrees.from_bytes(trees.to_bytes())
    np.testing.assert_array_equal(back.contributions(X[:20]), trees.contributions(X[:20]))
    with pytest.raises(InputError, match="trees.npz"):
        CompiledTrees.from_bytes(b"not an npz file")
    arrays = {
        name: getattr(trees, name)
        for name in ("feature", "threshold", "default_left", "weights", "player_feature", "tree_class", "base_score")
    }
    arrays["n_features"] = np.array(trees.n_features)
    with pytest.raises(InputError, match="weights has shape"):
        CompiledTrees({**arrays, "weights": arrays["weights"][:, :4]})
    with pytest.raises(InputError, match="outside"):
        CompiledTrees({**arrays, "tree_class": arrays["tree_class"] + 10})
    with pytest.raises(InputError, match="missing"):
        CompiledTrees({k: v for k, v in arrays.items() if k != "weights"})
    with pytest.raises(ValueError, match="expected 7 features"):
        trees.contributions(X[:, :3])


@pytest.mark.installed
def test_scoring_one_case_with_the_shipped_model_imports_neither_xgboost_nor_scipy(tmp_path):
    """Nor scikit-learn nor pandas (nor NumPy's ``numpy.ma``, which ``np.unique`` imports on first use:
    ~10 ms of a cold start): the fitted state is enough to score one case."""
    heavy = ("xgboost", "scipy", "sklearn", "pandas", "numpy.ma")
    code = (
        "import sys; from netorigin.cli import main\n"
        "from netorigin import example_case_path\n"
        "try:\n    main(['score', str(example_case_path()), '--json'])\n"
        "except SystemExit as e:\n    assert not e.code, e.code\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert '"probabilities"' in out.stdout
    assert out.stderr.strip().splitlines()[-1] == "[]", out.stderr[-500:]


# ---------------------------------------------------------------- provenance of the derived file
def _copy(folder, tmp_path, name="b"):
    import shutil

    dest = tmp_path / name
    shutil.copytree(folder, dest)
    return dest


def test_trees_from_another_booster_are_refused(tiny_xgboost, tmp_path):
    from _helpers import rehash

    from netorigin.estimator import load_bundle
    from netorigin.io import default_model_path

    _, folder = tiny_xgboost
    b = _copy(default_model_path(), tmp_path)
    rehash(b, **{"trees.npz": (folder / "trees.npz").read_bytes()})  # another bundle's tables
    with pytest.raises(InputError, match="compiled from another booster"):
        load_bundle(b)


def test_edited_tables_are_refused_even_with_a_consistent_manifest(tiny_xgboost, tmp_path):
    from _helpers import rehash

    from netorigin.estimator import load_bundle

    _, folder = tiny_xgboost
    b = _copy(folder, tmp_path)
    arrays = dict(np.load(b / "trees.npz", allow_pickle=False))
    arrays["weights"] = arrays["weights"] * 3
    import io

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    rehash(b, **{"trees.npz": buf.getvalue()})
    with pytest.raises(InputError, match="do not give the margins xgboost gave"):
        load_bundle(b)


def test_a_garbage_booster_is_refused_when_the_bundle_is_read(tiny_xgboost, tmp_path):
    from _helpers import rehash

    from netorigin.estimator import load_bundle

    _, folder = tiny_xgboost
    b = _copy(folder, tmp_path)
    rehash(b, **{"booster.ubj": b"{" + bytes(range(256)) * 100})
    with pytest.raises(InputError, match="compiled from another booster"):
        load_bundle(b)


def test_a_booster_that_disagrees_with_the_recorded_margins_is_refused_when_read(tiny_xgboost, tmp_path):
    """Tables and their record forged together for another booster: the booster itself, when
    something reads it (evaluation, large batches), is held to the recorded margins."""
    from netorigin.estimator import load_bundle
    from netorigin.io import default_model_path

    _, folder = tiny_xgboost
    model = load_bundle(folder)
    clf = model.classifier_.estimator_
    other = load_bundle(default_model_path()).classifier_.estimator_
    clf._booster_raw = other._booster_bytes  # a booster that is not the one the tables were made from
    with pytest.raises(InputError, match="booster.ubj: (its margins differ|it reads .* features)"):
        _ = clf.booster_


def test_an_npz_that_would_expand_to_gigabytes_is_refused_before_it_is_read(tmp_path):
    """An archive whose directory says a member expands to 3.2 GB (what a few MB of compressed zeros
    would say) is refused from the directory alone: nothing is decompressed or allocated."""
    import io
    import resource
    import struct
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr("weights.npy", bytes(1024))
    data = bytearray(buf.getvalue())
    at = data.rindex(b"PK\x01\x02")  # the central directory's record of the member
    data[at + 24 : at + 28] = struct.pack("<I", 3_200_000_000)  # its uncompressed size
    assert zipfile.ZipFile(io.BytesIO(bytes(data))).infolist()[0].file_size == 3_200_000_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(InputError, match="more than"):
        CompiledTrees.from_bytes(bytes(data))
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KB: nothing large allocated


def test_an_array_whose_header_claims_more_than_its_bytes_is_refused():
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (20000, 20000)})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("weights.npy", header.getvalue() + bytes(64))
    with pytest.raises(InputError, match="more than the file holds"):
        CompiledTrees.from_bytes(buf.getvalue())


def test_object_arrays_and_short_arrays_are_refused():
    import io

    buf = io.BytesIO()
    np.savez(buf, weights=np.zeros(3))
    data = bytearray(buf.getvalue())
    with pytest.raises(InputError, match="missing"):
        CompiledTrees.from_bytes(bytes(data))
    buf = io.BytesIO()
    np.savez(buf, weights=np.array([object()], dtype=object))
    with pytest.raises(InputError, match="not a plain array|object"):
        CompiledTrees.from_bytes(buf.getvalue())


def test_margins_of_edited_cases_are_the_margins_of_the_cases_scored_afresh(default_model):
    """The advice's after-result numbers start from a case's margins and recompute only the trees a
    changed value reaches: the same margins as scoring the edited case afresh (to 1e-12), the same
    bits alone or in a batch."""
    from netorigin.literature import make_synthetic_cohort, thin_cases

    trees = default_model.classifier_.estimator_.trees_
    cases, _ = thin_cases(make_synthetic_cohort(60, random_state=8), low=1, high=8, random_state=9)
    X = np.asarray(default_model.forward(cases, target_prior="training").inputs, dtype=np.float32)
    rng = np.random.default_rng(0)
    edited = X.copy()
    for i in range(len(X)):  # a few features changed: set, cleared (not done) or moved
        cols = rng.choice(X.shape[1], size=int(rng.integers(1, 4)), replace=False)
        edited[i, cols] = np.where(rng.random(len(cols)) < 0.3, np.nan, rng.choice([0.0, 1.0, 5.0, 12.5], len(cols)))
    edited[0] = X[0]  # and one not changed at all
    base = trees.margins(X)
    got = trees.margins_edited(edited, X, base)
    np.testing.assert_allclose(got, trees.margins(edited), rtol=0, atol=1e-12)
    alone = np.vstack([trees.margins_edited(edited[i : i + 1], X[i : i + 1], base[i : i + 1]) for i in range(len(X))])
    np.testing.assert_array_equal(alone, got)
