"""What a bundle may hold, checked when it is read: the manifest's fields (before any is used),
the size of every file (before it is read) and, while each file is turned into a fitted part,
which file an error comes from. A bundle edited on purpose, its sha256 sums made to agree again,
is held to the same ranges and shapes as one netorigin wrote."""

from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .._version import __version__
from ..contract import SCHEMA_VERSION, SITE_DETAILS, SITES
from ..exceptions import InputError, check_seed, check_stored
from ..models import dump_json, kind_names, site_of
from ._conformal import MAX_CALIBRATION_CASES

BUNDLE_FORMAT_VERSION = 2  # 2: sub-site labels, priors over labels, calibration cases
MAX_FILES = 32  # files a bundle lists (netorigin writes at most ten)
MAX_FILE_BYTES = 256 * 1024 * 1024  # a classifier's file (an xgboost booster)
MAX_JSON_BYTES = 64 * 1024 * 1024
MAX_CSV_BYTES = 16 * 1024 * 1024  # the cells' parameter tables (about 50 kB)
SMALLEST_LABEL_SHARE = 1e-9  # a label's share of the training mix: every label was seen in training
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
REBUILD_HINT = (
    "rebuild it with this netorigin: `netorigin train ...` (or `netorigin run "
    "pipelines/default_model.yaml` for the shipped model)"
)


def max_bytes(name: str, n_labels: int) -> int:
    """The largest a bundle file may be, known before it is read: the calibration cases at most
    :data:`~netorigin.estimator.MAX_CALIBRATION_CASES` rows of float32 (a probability per label,
    the label and the field count, and the .npy header)."""
    if name == "calibration_cases.npy":
        return MAX_CALIBRATION_CASES * (n_labels + 2) * 4 + 4096
    if name.endswith(".json"):
        return MAX_JSON_BYTES
    if name.endswith(".csv"):
        return MAX_CSV_BYTES
    return MAX_FILE_BYTES


@contextmanager
def reading(*names: str):
    """Errors raised while bundle files ``names`` are turned into a fitted part name the file
    (the first, unless the error already names one of them)."""
    try:
        yield
    except InputError as e:
        msg = str(e)
        raise InputError(msg if any(msg.startswith(f"{n}:") for n in names) else f"{names[0]}: {msg}") from None
    except (KeyError, ValueError, TypeError, IndexError, OverflowError, AttributeError) as e:
        raise InputError(f"{names[0]}: not usable ({type(e).__name__}: {str(e)[:200]}); {REBUILD_HINT}") from None


def in_folder(root: Path, message: str, names) -> str:
    """``message`` with a leading bundle file name made the file's path (``root/name: ...``)."""
    for name in sorted(names, key=len, reverse=True):
        if message.startswith(f"{name}:"):
            return f"{root / name}{message[len(name) :]}"
    return message if str(root) in message else f"{root}: {message}"


def check_manifest(manifest, mpath: Path) -> None:
    """Every manifest field the loader uses, checked before it is used."""

    def bad(field, value, expected):
        raise InputError(f"{mpath}: {field}: {str(value)[:80]!r} is not {expected}")

    if not isinstance(manifest, dict) or manifest.get("format") != "netorigin-bundle":
        raise InputError(f"{mpath}: not a netorigin bundle manifest")
    claimed = manifest.get("files")
    if not isinstance(claimed, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and _HEX64.match(v) for k, v in claimed.items()
    ):
        bad("files", claimed, "a mapping of file name -> sha256 (64 hex digits)")
    if len(claimed) > MAX_FILES:
        bad("files", f"{len(claimed)} files", f"at most {MAX_FILES} files")
    if not isinstance(manifest.get("bundle_hash"), str):
        bad("bundle_hash", manifest.get("bundle_hash"), "a sha256")
    body = {k: v for k, v in manifest.items() if k != "bundle_hash"}
    if hashlib.sha256(dump_json(body)).hexdigest() != manifest["bundle_hash"]:
        raise InputError(f"{mpath}: the manifest does not match its bundle_hash (edited or damaged)")
    fv = manifest.get("format_version")
    if not isinstance(fv, int) or isinstance(fv, bool) or fv < 1:
        bad("format_version", fv, "a whole number >= 1")
    if fv > BUNDLE_FORMAT_VERSION:
        raise InputError(
            f"{mpath}: bundle format {fv} is newer than this netorigin ({__version__}) reads "
            f"(format {BUNDLE_FORMAT_VERSION}); upgrade netorigin"
        )
    if fv < BUNDLE_FORMAT_VERSION:
        raise InputError(
            f"{mpath}: bundle format {fv} (netorigin {manifest.get('netorigin_version')}) predates "
            "sub-site models and prediction sets for any prior; this netorigin reads format "
            f"{BUNDLE_FORMAT_VERSION}: {REBUILD_HINT}"
        )
    _check_content(manifest, mpath, bad)
    _check_metadata(manifest, mpath, bad)


def _check_content(manifest: dict, mpath: Path, bad) -> None:
    """The manifest fields that describe the model (schema, kind, classes, labels, priors)."""
    if str(manifest.get("schema_version")) != SCHEMA_VERSION:
        raise InputError(
            f"{mpath}: made for case-contract schema {manifest.get('schema_version')}, "
            f"this netorigin uses schema {SCHEMA_VERSION}; {REBUILD_HINT}"
        )
    if manifest.get("kind") not in kind_names():
        bad("kind", manifest.get("kind"), f"one of {', '.join(kind_names())}")
    if manifest.get("classes") != list(SITES):
        bad("classes", manifest.get("classes"), "[ileal, pancreatic, other]")
    labels = manifest.get("labels")
    known = set(SITES) if labels and all(x in SITES for x in labels) else set(SITE_DETAILS)
    if not (
        isinstance(labels, list)
        and labels
        and all(isinstance(x, str) and x in known for x in labels)
        and len(set(labels)) == len(labels)
    ):
        bad("labels", labels, "the classifier's labels: sites, or sub-sites (primary_site_detail values), each once")
    if not isinstance(manifest.get("label_prior"), list):
        bad("label_prior", manifest.get("label_prior"), f"{len(labels)} shares, one per label")
    try:
        share = check_stored(
            manifest["label_prior"], "label_prior", shape=(len(labels),), low=SMALLEST_LABEL_SHARE, high=1
        )
        if abs(share.sum() - 1) > 1e-6:
            raise InputError(f"label_prior: the shares add up to {share.sum():.9g}, not 1")
        by_site = np.bincount(site_of(labels), weights=share, minlength=len(SITES))
        stated = check_stored(manifest.get("train_prior", by_site.tolist()), "train_prior", shape=(len(SITES),), low=0)
        if np.abs(stated - by_site).max() > 1e-6:
            raise InputError(f"train_prior: {stated.tolist()} is not the sites' sums of label_prior {by_site.tolist()}")
    except InputError as e:
        raise InputError(f"{mpath}: {e}") from None
    if not isinstance(manifest.get("target_prior", "training"), str):
        bad("target_prior", manifest.get("target_prior"), "a prior name or a,b,c")
    fn = manifest.get("feature_names")
    if not (isinstance(fn, list) and all(isinstance(x, str) for x in fn)):
        bad("feature_names", fn, "a list of feature names")


def _check_metadata(manifest: dict, mpath: Path, bad) -> None:
    """What the model says of itself (shown in its identity, model card and notice)."""
    name = manifest.get("name", "")
    if not isinstance(name, str) or len(name) > 200:
        bad("name", name, "a model name (text of at most 200 characters)")
    td = manifest.get("training_data", {})
    if not isinstance(td, dict) or not isinstance(td.get("description", ""), str):
        bad("training_data", td, "a mapping with a text description")
    for key in ("n_labelled", "n_train", "n_test"):
        if key in td and (not isinstance(td[key], int) or isinstance(td[key], bool) or td[key] < 0):
            bad(f"training_data.{key}", td[key], "a whole number >= 0")
    metrics = manifest.get("metrics", {})
    if not isinstance(metrics, dict):
        bad("metrics", metrics, "a mapping of figure -> number")
    for key, v in metrics.items():
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v)):
            bad(f"metrics.{key}", v, "a finite number (or null)")
    if not isinstance(manifest.get("params") or {}, dict):
        bad("params", manifest.get("params"), "a mapping of hyper-parameters")
    try:
        check_seed(manifest.get("random_state"), "random_state")
    except InputError as e:
        raise InputError(f"{mpath}: {e}") from None
