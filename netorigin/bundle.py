"""A fitted site model on disk, in formats that cannot run code when loaded.

A bundle is a folder: ``manifest.json`` (schema version, classes, feature names, library
versions, training-data fingerprint, metrics, sha256 of every file, the bundle hash),
``features.json``, the classifier (``booster.ubj`` for xgboost; ``linear.json``, ``mlp.json``,
``rules.json``, or ``literature/`` parameter CSVs), ``calibration.json``, ``conformal.json``.
Nothing from the pickle family anywhere: loading reads JSON, CSV and xgboost's UBJ.

:class:`SiteModel` is both what training produces and what loading returns, so a model scores
the same before and after it is saved.
"""

from __future__ import annotations

import hashlib
import io
import json
from importlib import metadata
from pathlib import Path

import numpy as np

from . import __version__
from ._fields import SCHEMA_VERSION, SITES
from .calibrate import ConformalSets, TemperatureScaling, resolve_prior, shift_prior
from .exceptions import InputError
from .features import as_canonical, features_from_state, features_state

__all__ = ["SiteModel", "load_bundle", "BUNDLE_FORMAT_VERSION", "RESEARCH_NOTICE"]

BUNDLE_FORMAT_VERSION = 1
RESEARCH_NOTICE = "For research use only; not a medical device."
_MAX_JSON_BYTES = 64 * 1024 * 1024


def _softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


# ----------------------------------------------------------------------------- predictors
class _BoosterPredictor:
    kind = "xgboost"

    def __init__(self, booster):
        self.booster = booster

    def margins(self, X):
        import xgboost as xgb

        return self.booster.predict(xgb.DMatrix(X, missing=np.nan), output_margin=True).reshape(len(X), -1)

    def files(self):
        return {"booster.ubj": bytes(self.booster.save_raw("ubj"))}

    @classmethod
    def read(cls, files):
        import xgboost as xgb

        booster = xgb.Booster()
        booster.load_model(bytearray(files["booster.ubj"]))
        return cls(booster)


class _LinearPredictor:
    kind = "logistic"

    def __init__(self, coef, intercept):
        self.coef = np.ascontiguousarray(coef, dtype=float)
        self.intercept = np.ascontiguousarray(intercept, dtype=float)

    def margins(self, X):
        # element-wise products summed per row: the same bits whatever the batch size
        X = np.ascontiguousarray(X, dtype=float)
        return (X[:, None, :] * self.coef[None, :, :]).sum(axis=2) + self.intercept

    def files(self):
        return {"linear.json": _json({"coef": self.coef.tolist(), "intercept": self.intercept.tolist()})}

    @classmethod
    def read(cls, files):
        d = _load_json(files["linear.json"], "linear.json")
        return cls(d["coef"], d["intercept"])


class _MLPPredictor:
    kind = "mlp"

    def __init__(self, weights, biases, activation):
        self.weights = [np.ascontiguousarray(w, dtype=float) for w in weights]
        self.biases = [np.asarray(b, dtype=float) for b in biases]
        self.activation = activation

    def margins(self, X):
        act = {"relu": lambda a: np.maximum(a, 0), "tanh": np.tanh, "identity": lambda a: a,
               "logistic": lambda a: 1 / (1 + np.exp(-a))}[self.activation]
        def dense(h, w, b):  # per-row sums: the same bits whatever the batch size
            return (h[:, :, None] * w[None, :, :]).sum(axis=1) + b

        h = np.ascontiguousarray(X, dtype=float)
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            h = act(dense(h, w, b))
        return dense(h, self.weights[-1], self.biases[-1])

    def files(self):
        return {"mlp.json": _json({"activation": self.activation, "weights": [w.tolist() for w in self.weights],
                                   "biases": [b.tolist() for b in self.biases]})}

    @classmethod
    def read(cls, files):
        d = _load_json(files["mlp.json"], "mlp.json")
        if d["activation"] not in ("relu", "tanh", "identity", "logistic"):
            raise InputError(f"mlp.json: activation {d['activation']!r} is not supported")
        return cls(d["weights"], d["biases"], d["activation"])


class _TablePredictor:
    """Predictors that read the canonical case table (no feature matrix)."""

    def __init__(self, clf):
        self.clf = clf

    def margins(self, table):
        return self.clf.decision_function(table)


class _LiteraturePredictor(_TablePredictor):
    kind = "literature"

    def files(self):
        out = {}
        for name, df in (("literature/parameters.csv", self.clf.parameters_), ("literature/scenarios.csv", self.clf.scenarios_)):
            buf = io.StringIO()
            df.to_csv(buf, index=False, lineterminator="\n")
            out[name] = buf.getvalue().encode("utf-8")
        out["literature/model.json"] = _json({"scenario": self.clf.scenario})
        return out

    @classmethod
    def read(cls, files):
        from .models import LiteratureSiteClassifier
        from .synth import load_parameters, load_scenarios

        scen = _load_json(files["literature/model.json"], "literature/model.json")["scenario"]
        clf = LiteratureSiteClassifier(scenario=scen)
        clf._setup(load_parameters("literature/parameters.csv", data=files["literature/parameters.csv"]),
                   load_scenarios("literature/scenarios.csv", data=files["literature/scenarios.csv"]))
        return cls(clf)


class _RulesPredictor(_TablePredictor):
    kind = "rules"

    def files(self):
        return {"rules.json": _json({"rules": [list(r) for r in self.clf.rules_],
                                     "intercept": self.clf.intercept_.tolist()})}

    @classmethod
    def read(cls, files):
        from .models import RulesSiteClassifier

        d = _load_json(files["rules.json"], "rules.json")
        clf = RulesSiteClassifier(rules=[tuple(r) for r in d["rules"]]).fit()
        clf.intercept_ = np.asarray(d["intercept"], dtype=float)
        return cls(clf)


_PREDICTORS = {p.kind: p for p in (_BoosterPredictor, _LinearPredictor, _MLPPredictor, _LiteraturePredictor, _RulesPredictor)}


def predictor_from_pipeline(kind: str, pipeline):
    """The numpy/xgboost predictor equivalent to a fitted :func:`~netorigin.models.make_model` pipeline."""
    est = pipeline.named_steps["classifier"].estimator_
    if kind == "xgboost":
        return _BoosterPredictor(est.booster_)
    if kind == "logistic":
        return _LinearPredictor(est.coef_, est.intercept_)
    if kind == "mlp":
        return _MLPPredictor(est.coefs_, est.intercepts_, est.activation)
    if kind == "literature":
        return _LiteraturePredictor(est)
    if kind == "rules":
        return _RulesPredictor(est)
    raise InputError(f"model: {kind!r} has no bundle format")


# ----------------------------------------------------------------------------- the model
class SiteModel:
    """A fitted site model: features -> margins -> calibration -> deployment prior -> sets.

    Use :meth:`predict_proba` for probabilities (``target_prior=None`` uses the model's
    deployment prior, ``"training"`` the training site mix, or a scenario name / a,b,c) and
    :meth:`prediction_sets` for conformal sets.
    """

    def __init__(self, *, kind, features, predictor, calibration, conformal, train_prior,
                 target_prior="training", metadata=None, profile=None):
        self.kind = kind
        self.features = features
        self.predictor = predictor
        self.calibration = calibration
        self.conformal = conformal
        self.train_prior = np.asarray(train_prior, dtype=float)
        self.target_prior_name = target_prior
        self.metadata = dict(metadata or {})
        self.profile = profile  # aggregates of the training data (netorigin.profile)
        self.classes_ = np.array(SITES, dtype=object)

    # -- prediction
    def transform(self, cohort):
        table = as_canonical(cohort)
        return self.features.transform(table) if self.features is not None else table

    def margins(self, cohort) -> np.ndarray:
        """Uncalibrated per-site margins (log-odds scale) of the underlying classifier."""
        return self.predictor.margins(self.transform(cohort))

    def _prior(self, target_prior):
        spec = self.target_prior_name if target_prior is None else target_prior
        if isinstance(spec, str) and spec == "training":
            return "training", self.train_prior
        return resolve_prior(spec)

    def predict_proba(self, cohort, *, target_prior=None, calibrated: bool = True) -> np.ndarray:
        return self._proba_from_margins(self.margins(cohort), target_prior, calibrated)

    def proba_from_features(self, X, *, target_prior=None, calibrated: bool = True) -> np.ndarray:
        """Probabilities from an already-built feature matrix (models with features only)."""
        return self._proba_from_margins(self.predictor.margins(X), target_prior, calibrated)

    def _proba_from_margins(self, m, target_prior, calibrated):
        p = self.calibration.proba(m) if calibrated else _softmax(m)
        name, prior = self._prior(target_prior)
        return p if name == "training" else shift_prior(p, self.train_prior, prior)

    def predict(self, cohort, **kw) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(cohort, **kw), axis=1)]

    def sets_prior(self, target_prior=None) -> str:
        """The site mix whose conformal thresholds apply: the requested one when the model
        prepared it, else the training mix (coverage per site still holds; the sets are then
        computed on the training-mix probabilities)."""
        name = self.target_prior_name if target_prior is None else target_prior
        if not isinstance(name, str) or name not in self.conformal.thresholds:
            return "training"
        return name

    def prediction_sets(self, cohort=None, *, coverage: float = 0.9, target_prior=None, proba=None) -> np.ndarray:
        """Boolean (n, 3) conformal sets: each site is covered with probability >= coverage,
        whatever the site mix of the cases. ``proba``: probabilities already computed for
        :meth:`sets_prior` (saves predicting twice)."""
        prior = self.sets_prior(target_prior)
        p = self.predict_proba(cohort, target_prior=prior) if proba is None else proba
        return self.conformal.sets(p, coverage, prior)

    # -- identity
    @property
    def bundle_hash(self) -> str | None:
        return self.metadata.get("bundle_hash")

    def identity(self) -> dict:
        return {"name": self.metadata.get("name", f"netorigin-{self.kind}"),
                "version": self.metadata.get("netorigin_version", __version__),
                "kind": self.kind, "bundle_hash": self.bundle_hash,
                "training_data": self.metadata.get("training_data", {}).get("description"),
                "notice": RESEARCH_NOTICE}

    # -- disk
    def save(self, path) -> dict:
        """Write the bundle folder; returns the manifest. Same model -> same bytes."""
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        files = dict(self.predictor.files())
        if self.features is not None:
            files["features.json"] = _json(features_state(self.features))
        files["calibration.json"] = _json(self.calibration.to_dict())
        files["conformal.json"] = _json(self.conformal.to_dict())
        if self.profile is not None:
            files["training_profile.json"] = _json(self.profile)
        for name, data in files.items():
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            (out / name).write_bytes(data)
        meta = {k: v for k, v in self.metadata.items() if k not in ("bundle_hash", "files")}
        manifest = {
            "format": "netorigin-bundle", "format_version": BUNDLE_FORMAT_VERSION,
            "schema_version": SCHEMA_VERSION, "netorigin_version": __version__,
            "kind": self.kind, "classes": list(SITES),
            "feature_names": list(self.features.feature_names_out_) if self.features is not None else [],
            "train_prior": [float(x) for x in self.train_prior], "target_prior": self.target_prior_name,
            "library_versions": _versions(), "intended_use": RESEARCH_NOTICE,
            **meta,
            "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
        }
        manifest["bundle_hash"] = hashlib.sha256(_json(manifest)).hexdigest()
        (out / "manifest.json").write_bytes(_json(manifest))
        self.metadata.update({"bundle_hash": manifest["bundle_hash"], "netorigin_version": __version__})
        return manifest

    @classmethod
    def load(cls, path) -> "SiteModel":
        return load_bundle(path)


def _json(obj) -> bytes:
    return (json.dumps(obj, sort_keys=True, indent=1, allow_nan=True) + "\n").encode("utf-8")


def _load_json(data: bytes, name: str):
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{name}: not valid JSON ({e})") from None


def _versions() -> dict:
    out = {}
    for pkg in ("numpy", "pandas", "scikit-learn", "xgboost"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def load_bundle(path) -> SiteModel:
    """Load a bundle folder, checking every file against the manifest's sha256 first."""
    root = Path(path)
    mpath = root / "manifest.json"
    if not root.is_dir():
        raise InputError(f"{root}: no such bundle folder")
    if not mpath.is_file():
        raise InputError(f"{mpath}: missing; not a netorigin bundle")
    raw = mpath.read_bytes()
    if len(raw) > _MAX_JSON_BYTES:
        raise InputError(f"{mpath}: too large for a manifest")
    manifest = _load_json(raw, str(mpath))
    if not isinstance(manifest, dict) or manifest.get("format") != "netorigin-bundle":
        raise InputError(f"{mpath}: not a netorigin bundle manifest")
    if int(manifest.get("format_version", 0)) > BUNDLE_FORMAT_VERSION:
        raise InputError(f"{mpath}: bundle format {manifest.get('format_version')} is newer than this "
                         f"netorigin ({__version__}) reads (format {BUNDLE_FORMAT_VERSION}); upgrade netorigin")
    if str(manifest.get("schema_version")) != SCHEMA_VERSION:
        raise InputError(f"{mpath}: made for case-contract schema {manifest.get('schema_version')}, "
                         f"this netorigin uses schema {SCHEMA_VERSION}")
    kind = manifest.get("kind")
    if kind not in _PREDICTORS:
        raise InputError(f"{mpath}: model kind {kind!r} is not one of {', '.join(_PREDICTORS)}")
    claimed = dict(manifest.get("files", {}))
    body = {k: v for k, v in manifest.items() if k != "bundle_hash"}
    if hashlib.sha256(_json(body)).hexdigest() != manifest.get("bundle_hash"):
        raise InputError(f"{mpath}: the manifest does not match its bundle_hash (edited or damaged)")
    files = {}
    for name, digest in claimed.items():
        fp = root / name
        if ".." in Path(name).parts or Path(name).is_absolute():
            raise InputError(f"{mpath}: file name {name!r} points outside the bundle")
        if not fp.is_file():
            raise InputError(f"{fp}: missing from the bundle")
        data = fp.read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise InputError(f"{fp}: sha256 does not match the manifest (tampered, truncated or damaged)")
        files[name] = data
    try:
        predictor = _PREDICTORS[kind].read(files)
        features = features_from_state(_load_json(files["features.json"], "features.json")) \
            if "features.json" in files else None
        if features is not None and list(features.feature_names_out_) != manifest.get("feature_names"):
            raise InputError(f"{root / 'features.json'}: feature names differ from the manifest")
        calibration = TemperatureScaling.from_dict(_load_json(files["calibration.json"], "calibration.json"))
        conformal = ConformalSets.from_dict(_load_json(files["conformal.json"], "conformal.json"))
        profile = _load_json(files["training_profile.json"], "training_profile.json") \
            if "training_profile.json" in files else None
    except KeyError as e:
        raise InputError(f"{root}: bundle is incomplete: {e.args[0]} is missing") from None
    except (ValueError, TypeError) as e:
        raise InputError(f"{root}: bundle content is not usable ({e})") from None
    meta = {k: v for k, v in manifest.items() if k not in ("files",)}
    return SiteModel(kind=kind, features=features, predictor=predictor, calibration=calibration,
                     conformal=conformal, train_prior=manifest["train_prior"],
                     target_prior=manifest.get("target_prior", "training"), metadata=meta, profile=profile)
