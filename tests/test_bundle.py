"""Bundles: pickle-free, checked against their manifest, byte-identical when rebuilt."""

import hashlib
import json
import pickle

import numpy as np
import pytest

from netorigin import load_seed_cohort
from netorigin.estimator import load_bundle, save_bundle
from netorigin.exceptions import InputError
from netorigin.models import MODEL_KINDS, dump_json
from netorigin.testing import assert_probabilities, assert_same_alone_and_in_batch
from netorigin.training import train


@pytest.fixture(scope="module")
def trained(trained_kinds):
    return trained_kinds


@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_saved_bundle_scores_exactly_like_the_trained_model(kind, trained, tmp_path, small_test_cohort):
    model = trained[kind].model
    save_bundle(model, tmp_path / "b")
    loaded = load_bundle(tmp_path / "b")
    for prior in ("training", "unknown-primary"):
        a = model.predict_proba(small_test_cohort, target_prior=prior)
        b = loaded.predict_proba(small_test_cohort, target_prior=prior)
        np.testing.assert_array_equal(a, b)
        assert_probabilities(b, 3)
    assert np.array_equal(model.predict_sets(small_test_cohort), loaded.predict_sets(small_test_cohort))
    assert loaded.identity_.bundle_hash == model.identity_.bundle_hash
    assert_same_alone_and_in_batch(loaded.predict_proba, load_seed_cohort().table)


def test_same_data_and_seed_give_byte_identical_bundles(small_cohort, tmp_path):
    for name in ("a", "b"):
        r = train(
            small_cohort.iloc[:1200],
            kind="xgboost",
            random_state=3,
            n_bootstrap=20,
            n_splits=3,
            params={"n_estimators": 30},
            with_robustness=False,
        )
        save_bundle(r.model, tmp_path / name)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert any(str(f).startswith("knowledge/") for f in files)  # the cells the advice uses travel too
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f


def test_loading_never_unpickles(trained, tmp_path, monkeypatch, small_test_cohort):
    save_bundle(trained["xgboost"].model, tmp_path / "b")
    save_bundle(trained["literature"].model, tmp_path / "lit")

    def refuse(*a, **k):
        raise AssertionError("a pickle-family loader was called")

    import joblib

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(joblib, "load", refuse)
    try:
        import cloudpickle

        monkeypatch.setattr(cloudpickle, "load", refuse)
        monkeypatch.setattr(cloudpickle, "loads", refuse)
    except ImportError:
        pass
    for b in ("b", "lit"):
        assert_probabilities(load_bundle(tmp_path / b).predict_proba(small_test_cohort.iloc[:20]), 3)


def test_bundle_holds_no_pickle_files(trained, tmp_path):
    save_bundle(trained["mlp"].model, tmp_path / "b")
    for p in (tmp_path / "b").rglob("*"):
        if p.is_file():
            assert p.suffix in (".json", ".ubj", ".csv", ".npy"), p
            assert not p.read_bytes().startswith(b"\x80"), f"{p} looks like a pickle"
            if p.suffix == ".npy":  # numbers only: readable with pickles refused
                assert np.load(p, allow_pickle=False).dtype == np.float32


def test_a_flipped_byte_is_refused_naming_the_file(trained, tmp_path):
    save_bundle(trained["xgboost"].model, tmp_path / "b")
    f = tmp_path / "b" / "booster.ubj"
    data = bytearray(f.read_bytes())
    data[len(data) // 2] ^= 0x01
    f.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"booster\.ubj: sha256 does not match"):
        load_bundle(tmp_path / "b")


@pytest.mark.parametrize("damage", ["missing_file", "edited_manifest", "newer_format", "other_schema", "no_manifest"])
def test_damaged_bundles_give_clear_errors(damage, trained, tmp_path):
    b = tmp_path / "b"
    save_bundle(trained["logistic"].model, b)
    manifest = json.loads((b / "manifest.json").read_text())
    if damage == "missing_file":
        (b / "linear.json").unlink()
        match = "linear.json: missing"
    elif damage == "no_manifest":
        (b / "manifest.json").unlink()
        match = "manifest.json: missing"
    else:
        if damage == "edited_manifest":
            manifest["metrics"]["test_accuracy"] = 0.99
            match = "does not match its bundle_hash"
        else:  # a consistent manifest from another netorigin: its hash is recomputed
            if damage == "newer_format":
                manifest["format_version"] = 99
                match = "newer than this netorigin"
            else:
                manifest["schema_version"] = "0"
                match = "schema 0.*rebuild it"
            body = {k: v for k, v in manifest.items() if k != "bundle_hash"}
            manifest["bundle_hash"] = hashlib.sha256(dump_json(body)).hexdigest()
        (b / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError, match=match):
        load_bundle(b)


def test_manifest_records_what_a_researcher_needs(trained, tmp_path):
    m = save_bundle(trained["xgboost"].model, tmp_path / "b")
    assert m["classes"] == ["ileal", "pancreatic", "other"]
    assert m["intended_use"].startswith("For research use only")
    assert set(m["library_versions"]) >= {"xgboost", "scikit-learn", "numpy", "pandas"}
    assert len(m["training_data"]["fingerprint"]) == 64 and m["feature_names"]
    assert all(len(h) == 64 for h in m["files"].values())


def test_a_bundle_written_before_sub_site_models_is_refused_with_how_to_rebuild_it():
    """tests/data/bundle-0.1.0-logistic was written by netorigin 0.1.0 (commit 8ebc252): format 1,
    with thresholds only for the named priors and no sub-sites. It cannot give sets for any prior,
    so it is refused, saying how to rebuild it."""
    from pathlib import Path

    with pytest.raises(InputError, match=r"bundle format 1 \(netorigin 0\.1\.0\).*rebuild it with this netorigin"):
        load_bundle(Path(__file__).parent / "data" / "bundle-0.1.0-logistic")


def _calibration_cases(bundle, edit) -> None:
    import io

    from _helpers import rehash

    cases = np.load(bundle / "calibration_cases.npy", allow_pickle=False)
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(edit(cases), dtype=np.float32), allow_pickle=False)
    rehash(bundle, **{"calibration_cases.npy": buf.getvalue()})


def test_the_sets_strata_travel_with_the_bundle_and_older_bundles_keep_unstratified_sets(
    trained, tmp_path, small_test_cohort
):
    model = trained["xgboost"].model
    b = tmp_path / "b"
    save_bundle(model, b)
    loaded = load_bundle(b)
    assert loaded.conformal_.stratified
    np.testing.assert_array_equal(loaded.conformal_.cal_fields_, model.conformal_.cal_fields_)
    np.testing.assert_array_equal(loaded.predict_sets(small_test_cohort), model.predict_sets(small_test_cohort))
    _calibration_cases(b, lambda c: c[:, :-1])  # as written before the sets were stratified
    older = load_bundle(b)
    assert not older.conformal_.stratified and older.predict_sets(small_test_cohort).any(axis=1).all()
    _calibration_cases(b, lambda c: np.column_stack([c, np.full(len(c), 2.5)]))  # a field count of 2.5
    with pytest.raises(InputError, match=r"calibration_cases\.npy: informative fields\[0\]: 2\.5 is not a whole"):
        load_bundle(b)
