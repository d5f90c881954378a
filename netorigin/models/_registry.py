"""The registry of model kinds: kind -> factory, explainer, codec, registered once per kind.

Adding a kind is one module that defines its classifier and calls :func:`register`, plus its
import line in ``netorigin/models/__init__.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from ..exceptions import InputError


@dataclass(frozen=True)
class ModelKind:
    """How one kind of model is built, explained and stored.

    Attributes
    ----------
    name : str
        The kind's name (``netorigin train --kind NAME``).
    summary : str
        One line for documentation and ``--help``.
    make_classifier : callable
        ``(random_state, **params) -> (features or None, classifier)``: an unfitted
        :class:`~netorigin.io.CaseFeatures` (None for kinds that read the case table) and an
        unfitted scikit-learn classifier on site codes 0, 1, 2.
    explain : callable or None
        ``(fitted classifier, Xt, feature_fields) -> (fields, contributions (n, n_fields, 3), base (n, 3))``
        on the margin scale of the classifier (``SiteClassifier.label_margins``, over its ``labels_``): for every
        case and site, ``base + contributions.sum(fields) == margin``. None: no exact explainer.
    to_files : callable
        ``(fitted classifier) -> {file name: bytes}``; formats that cannot run code when read.
    from_files : callable
        ``({file name: bytes}) -> fitted classifier`` (the inverse of ``to_files``).
    files : tuple of str
        The files ``to_files`` writes (checked when a bundle is read).
    subsites : bool
        Whether the kind can learn sub-sites (``primary_site_detail``) as its classes.
    merges_rare : bool
        Whether a sub-site with too few training cases is not learnt on its own but counted with
        a learnt sub-site of the same organ or as an other primary of unspecified organ
        (:func:`~netorigin.estimator.choose_labels`; kinds that learn each label from its cases
        alone); a kind with a prior for every sub-site (latent-class) keeps them all.
    calibrates : bool
        Whether temperature scaling is fitted on the out-of-fold margins. A kind whose
        probabilities are already a posterior under a prior (latent-class) gets none: at small n its
        fold models, fitted on a fraction of the cohort, are weaker than the final one, and scaling
        learnt from them shrinks a good model (measured on a held-out world, 100 cases: log-loss
        0.557 scaled against 0.437 not, exact 0.383).
    """

    name: str
    summary: str
    make_classifier: Callable
    explain: Callable | None
    to_files: Callable
    from_files: Callable
    files: tuple[str, ...]
    subsites: bool = True
    merges_rare: bool = True
    calibrates: bool = True


_KINDS: dict[str, ModelKind] = {}


def register(kind: ModelKind) -> ModelKind:
    """Add a model kind to the registry (once per name)."""
    if kind.name in _KINDS:
        raise ValueError(f"model kind {kind.name!r} is registered twice")
    _KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> ModelKind:
    """The registered kind called ``name``; an :class:`~netorigin.exceptions.InputError` otherwise."""
    if name not in _KINDS:
        raise InputError(f"kind: {name!r} is not one of {', '.join(_KINDS)}")
    return _KINDS[name]


def kind_names() -> tuple[str, ...]:
    return tuple(_KINDS)


def dump_json(obj) -> bytes:
    """Canonical JSON bytes (sorted keys): the same object always gives the same bytes."""
    return (json.dumps(obj, sort_keys=True, indent=1, allow_nan=True) + "\n").encode("utf-8")


def read_json(data: bytes, name: str):
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise InputError(f"{name}: not valid JSON ({e})") from None


def group_by_field(values, feature_fields):
    """(n, K, F) per-feature values -> (fields, (n, n_fields, K)) summed per contract field."""
    import numpy as np

    fields = list(dict.fromkeys(feature_fields))
    index = {f: j for j, f in enumerate(fields)}
    idx = np.array([index[f] for f in feature_fields])
    out = np.zeros((values.shape[0], len(fields), values.shape[1]))
    for j in range(len(fields)):
        out[:, j, :] = values[:, :, idx == j].sum(axis=2)
    return fields, out


def stored_classes(value, n: int, file: str):
    """A classifier's stored class codes: ``n`` distinct whole numbers from 0, in increasing order
    (the codes of the labels it learnt)."""
    import numpy as np

    from ..exceptions import check_stored

    codes = check_stored(value, f"{file}: classes", shape=(n,), low=0, high=10_000, whole=True)
    if len(codes) and (np.diff(codes) <= 0).any():
        raise InputError(f"{file}: classes: {codes.astype(int).tolist()} are not distinct codes in increasing order")
    return codes.astype(int)
