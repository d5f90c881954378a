"""A fitted :class:`~netorigin.estimator.SiteModel` on disk, in formats that cannot run code
when read.

A bundle is a folder: ``manifest.json`` (schema and format versions, classes, feature names,
library versions, training-data fingerprint, metrics, sha256 of every file, the bundle hash),
``features.json``, the classifier's files (written by its kind's codec: ``booster.ubj``,
``linear.json``, ``mlp.json``, ``rules.json`` or ``literature/*.csv``), ``calibration.json``,
``calibration_cases.npy`` (the held-out probabilities, labels and informative-field counts the
conformal sets are computed from: numbers only, no case fields or ids), ``training_profile.json``
and ``knowledge/`` (the literature's cells fitted to the training cohort, which the advice uses:
parameter values, never cases). JSON, CSV, NumPy's
``.npy`` (read with ``allow_pickle=False``) and xgboost's UBJ only: nothing on a loading path
unpickles. Every path is resolved and must stay inside the folder; every manifest
field is checked before it is used; every file is checked against its sha256.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np

from .._version import __version__
from ..contract import RESEARCH_NOTICE, SCHEMA_VERSION, SITES, site_sums
from ..exceptions import InputError
from ..io import check_profile, features_from_state, features_state
from ..models import (
    SiteClassifier,
    cells_from_files,
    cells_to_files,
    dump_json,
    get_kind,
    read_json,
    site_of,
)
from ._checks import (
    BUNDLE_FORMAT_VERSION,
    MAX_JSON_BYTES,
    REBUILD_HINT,
    check_manifest,
    in_folder,
    max_bytes,
    reading,
)
from ._conformal import ConformalSets
from ._prior import PriorShift
from ._site_model import SiteModel
from ._temperature import TemperatureScaling

CELLS_FOLDER = "knowledge"  # the cells the advice uses (kinds without cells of their own): the name bundles use


def _versions() -> dict:
    from importlib import metadata  # here: a cold start that never records versions skips its import

    out = {}
    for pkg in ("numpy", "pandas", "scikit-learn", "xgboost"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def save_bundle(model: SiteModel, path) -> dict:
    """Write ``model`` as a bundle folder; returns the manifest. Same model -> same bytes.

    The folder is written beside ``path`` and then put in its place, replacing a bundle already
    there only once the new one is whole (an interrupted save leaves the old bundle); a folder that
    holds anything else is refused (``io.plan_outputs`` says so before training).

    Parameters
    ----------
    model : SiteModel
        A fitted model.
    path : str or Path
        The bundle folder to write.

    Returns
    -------
    dict
        The manifest written.
    """
    from ..io import Output, plan_outputs, replace_folder

    out = Path(path)
    plan_outputs([Output("bundle", out, kind="bundle")])
    manifest: dict = {}
    replace_folder(out, lambda folder: manifest.update(_write_bundle(model, folder)))
    model.metadata_.update({"bundle_hash": manifest["bundle_hash"], "netorigin_version": __version__})
    return manifest


def _write_bundle(model: SiteModel, out: Path) -> dict:
    kind = get_kind(model.kind)
    files = dict(kind.to_files(model.classifier_.estimator_))
    features = model.features_
    if features is not None:
        files["features.json"] = dump_json(features_state(features))
    files["calibration.json"] = dump_json(
        {
            "temperature": [float(t) for t in model.calibrator_.temperature_],
            "bias": [float(b) for b in model.calibrator_.bias_],
        }
    )
    conf = model.conformal_
    columns = [conf.cal_proba_, conf.cal_y_.astype(np.float32)]
    if conf.cal_fields_ is not None:  # the number of informative fields: the stratum of the sets
        columns.append(conf.cal_fields_.astype(np.float32))
    files["calibration_cases.npy"] = _npy(np.column_stack(columns))
    if getattr(model, "profile_", None) is not None:
        files["training_profile.json"] = dump_json(model.profile_)
    cells = model.cells_.fitted
    if cells is not None and cells is not getattr(model.classifier_.estimator_, "cells_", None):
        files.update(cells_to_files(cells, CELLS_FOLDER))
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    meta = {k: v for k, v in model.metadata_.items() if k not in ("bundle_hash", "files")}
    manifest = {
        "format": "netorigin-bundle",
        "format_version": BUNDLE_FORMAT_VERSION,
        "schema_version": SCHEMA_VERSION,
        "netorigin_version": __version__,
        "kind": model.kind,
        "classes": list(SITES),
        "feature_names": list(features.feature_names_out_) if features is not None else [],
        "labels": [str(x) for x in model.labels_],
        "label_prior": [float(x) for x in model.prior_.train_prior_],
        "train_prior": [float(x) for x in site_sums(model.prior_.train_prior_[None, :], model.label_site_)[0]],
        "target_prior": model.prior_.name(),
        "library_versions": _versions(),
        "intended_use": RESEARCH_NOTICE,
        **meta,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    manifest["bundle_hash"] = hashlib.sha256(dump_json(manifest)).hexdigest()
    (out / "manifest.json").write_bytes(dump_json(manifest))
    return manifest


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


def _read_npy(data: bytes, name: str) -> np.ndarray:
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise InputError(f"{name}: not a NumPy array file ({e})") from None
    if arr.dtype != np.float32 or arr.ndim != 2:
        raise InputError(f"{name}: expected a 2-d float32 array, got {arr.dtype} with {arr.ndim} dimension(s)")
    return arr


def _read_inside(root: Path, name: str, mpath: Path, limit: int) -> bytes:
    """The bytes of bundle file ``name``, refusing paths (or links) that lead outside ``root`` and
    files larger than ``limit`` (their size checked before they are read)."""
    rel = Path(name)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise InputError(f"{mpath}: file name {name!r} points outside the bundle")
    fp = root / rel
    real = fp.resolve()
    if not real.is_relative_to(root):
        raise InputError(f"{mpath}: {name!r} resolves to {real}, outside the bundle folder (a link?)")
    if not real.is_file():
        raise InputError(f"{fp}: missing from the bundle")
    if real.stat().st_size > limit:
        raise InputError(f"{fp}: {real.stat().st_size:,} bytes, larger than {limit:,}; not a netorigin bundle file")
    with open(real, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise InputError(f"{fp}: larger than {limit:,} bytes; not a netorigin bundle file")
    return data


def load_bundle(path) -> SiteModel:
    """Load a bundle folder, checking the manifest and every file against its sha256 first.

    Parameters
    ----------
    path : str or Path
        The bundle folder.

    Returns
    -------
    SiteModel
        The fitted model, ready to score.

    Raises
    ------
    InputError
        A missing or changed file, a manifest field out of range, a format from another version.
    """
    root, manifest, files = _read_bundle(path)
    try:
        parts = _parts(files, manifest)
        with reading("manifest.json"):
            prior = PriorShift.fitted(
                manifest.get("target_prior", "training"),
                labels=np.asarray(parts["classifier"].labels_, dtype=object),
                train_prior=manifest["label_prior"],
            )
    except InputError as e:
        raise InputError(in_folder(root, str(e), [*files, "manifest.json"])) from None
    except Exception as e:  # xgboost raises its own error type for a model it cannot read
        raise InputError(
            f"{root}: the classifier cannot be read ({type(e).__name__}: "
            f"{str(e).splitlines()[0] if str(e) else ''}); {REBUILD_HINT}"
        ) from None
    return SiteModel.fitted(
        kind=manifest["kind"],
        prior=prior,
        metadata={k: v for k, v in manifest.items() if k != "files"},
        params=manifest.get("params") or None,
        random_state=manifest.get("random_state"),
        **parts,
    )


def _read_bundle(path) -> tuple[Path, dict, dict]:
    """(root, checked manifest, {file name: bytes checked against its sha256})."""
    root = Path(path)
    if not root.is_dir():
        raise InputError(f"{root}: no such bundle folder")
    root = root.resolve()
    mpath = root / "manifest.json"
    if not mpath.is_file():
        raise InputError(f"{mpath}: missing; not a netorigin bundle")
    manifest = read_json(_read_inside(root, "manifest.json", mpath, MAX_JSON_BYTES), str(mpath))
    check_manifest(manifest, mpath)
    files = {}
    for name, digest in manifest["files"].items():
        data = _read_inside(root, name, mpath, max_bytes(name, len(manifest["labels"])))
        if hashlib.sha256(data).hexdigest() != digest:
            raise InputError(f"{root / name}: sha256 does not match the manifest (tampered, truncated or damaged)")
        files[name] = data
    kind = get_kind(manifest["kind"])
    missing = [f for f in (*kind.files, "calibration.json", "calibration_cases.npy") if f not in files]
    if missing:
        raise InputError(f"{root}: bundle is incomplete: {', '.join(missing)} missing; {REBUILD_HINT}")
    return root, manifest, files


def _parts(files: dict, manifest: dict) -> dict:
    """The fitted parts a bundle's files hold, each checked against the manifest; an error names
    the file it comes from."""
    features = None
    if "features.json" in files:
        with reading("features.json"):
            features = features_from_state(read_json(files["features.json"], "features.json"))
            if list(features.feature_names_out_) != manifest["feature_names"]:
                raise InputError("feature names differ from the manifest")
    kind = get_kind(manifest["kind"])
    labels = manifest["labels"]
    with reading(*kind.files, "trees.npz"):
        clf = kind.from_files(files)
        n_in = getattr(clf, "n_features_in_", None)
        if features is not None and n_in is not None and n_in != features.n_features_out_:
            raise InputError(
                f"the classifier expects {n_in} features, the manifest names {features.n_features_out_}; {REBUILD_HINT}"
            )
        if len(getattr(clf, "classes_", ())) != len(labels):
            raise InputError(
                f"the classifier has {len(clf.classes_)} classes, the manifest names {len(labels)} labels; "
                + REBUILD_HINT
            )
    with reading("calibration.json"):
        cal = read_json(files["calibration.json"], "calibration.json")
        if not isinstance(cal, dict):
            raise InputError("expected temperature and bias")
        calibrator = TemperatureScaling.fitted(cal.get("temperature"), cal.get("bias"))
        if len(calibrator.bias_) != len(labels):
            raise InputError("bias must have one number per label")
    cells = getattr(clf, "cells_", None)
    if f"{CELLS_FOLDER}/parameters.csv" in files:
        with reading(f"{CELLS_FOLDER}/parameters.csv", f"{CELLS_FOLDER}/cells.json"):
            cells = cells_from_files(files, CELLS_FOLDER)
    profile = files.get("training_profile.json")
    if profile is not None:
        with reading("training_profile.json"):
            profile = check_profile(read_json(profile, "training_profile.json"))
    with reading("calibration_cases.npy"):
        conformal = _conformal(_read_npy(files["calibration_cases.npy"], "calibration_cases.npy"), labels)
    return {
        "features": features,
        "classifier": SiteClassifier.fitted(clf, labels),
        "calibrator": calibrator,
        "conformal": conformal,
        "profile": profile,
        "cells": cells,
    }


def _conformal(cases: np.ndarray, labels: list) -> ConformalSets:
    """The prediction sets from calibration_cases.npy: a probability per label, the label index,
    and (bundles since the sets were stratified) the number of informative fields recorded."""
    n = len(labels)
    if cases.shape[1] not in (n + 1, n + 2):
        raise InputError(f"{cases.shape[1]} columns, expected {n + 2} (or {n + 1})")
    n_fields = cases[:, n + 1] if cases.shape[1] == n + 2 else None
    return ConformalSets().fit(cases[:, :n], cases[:, n], label_site=site_of(labels), n_fields=n_fields)
