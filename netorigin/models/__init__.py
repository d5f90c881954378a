"""Model kinds behind one scikit-learn API, each registered once (factory, explainer, codec).

``make_model(kind)`` returns an unfitted pipeline: schema check -> features -> classifier,
wrapped (:class:`SiteClassifier`) so that its ``labels_`` are the sites, or the sub-sites, in the
contract's order (``ileal, pancreatic, other``: the order the package keeps) and its ``classes_``
the same labels sorted (``ileal, other, pancreatic``), the order of the columns of
``predict_proba`` and ``decision_function``, as scikit-learn's scorers and model selection read them.

>>> from netorigin.models import make_model, MODEL_KINDS
>>> MODEL_KINDS
('xgboost', 'logistic', 'mlp', 'literature', 'latent-class', 'rules', 'latent-boost')
>>> [name for name, _ in make_model("xgboost", random_state=0).steps]
['check', 'features', 'classifier']
"""

from __future__ import annotations

from ..exceptions import InputError, check_seed
from ..io import CheckCases

# Each kind registers itself on import; the order here is the order of MODEL_KINDS.
# isort: off
from . import _xgboost, _logistic, _mlp, _literature, _latent, _rules, _boosted  # noqa: F401 (registration; this order is MODEL_KINDS')

# isort: on
from ..contract import site_of  # the label rule's home is the contract; said here too
from ._labels import CLASSES, detail_column, read_labels, with_detail_column
from ._latent import ADVICE_CV_MAX, ADVICE_MAX, advice_notice, cells_from_files, cells_to_files, fit_advice_cells
from ._registry import ModelKind, dump_json, get_kind, kind_names, read_json
from ._site import LEVELS, SiteClassifier, label_codes, pipeline_label_margins, site_codes
from ._xgboost import XGBoostSiteClassifier

__all__ = [
    "CLASSES",
    "LEVELS",
    "detail_column",
    "read_labels",
    "with_detail_column",
    "label_codes",
    "site_of",
    "MODEL_KINDS",
    "DEFAULT_KIND",
    "ModelKind",
    "SiteClassifier",
    "XGBoostSiteClassifier",
    "cells_from_files",
    "cells_to_files",
    "dump_json",
    "fit_advice_cells",
    "advice_notice",
    "ADVICE_MAX",
    "ADVICE_CV_MAX",
    "get_kind",
    "make_model",
    "pipeline_from_parts",
    "pipeline_label_margins",
    "read_json",
    "site_codes",
]

MODEL_KINDS = kind_names()

DEFAULT_KIND = "latent-class"
"""What ``make_model``, ``SiteModel`` and ``train`` fit unless told otherwise (``train`` with the
Dask engine: xgboost, the one kind it distributes): the literature's cells fitted to the cohort with the
literature as the prior; it came closest to each world's exact posterior at every cohort size
from 100 to 20,000 (``benchmarks/learning_benchmark.py``)."""


def make_model(kind: str = DEFAULT_KIND, *, level: str = "site", random_state=None, **params):
    """An unfitted pipeline: schema check -> features -> classifier.

    Parameters
    ----------
    kind : str
        A registered kind (:data:`MODEL_KINDS`): :data:`DEFAULT_KIND` (``latent-class``, the default
        here as in ``train`` and ``SiteModel``), ``xgboost``, ``logistic``, ``mlp``, ``literature`` or
        ``rules``.
    level : {"site", "subsite"}
        What the classifier learns: the three sites, or the sub-sites (``primary_site_detail``)
        whose sums are the sites (kinds with ``subsites=True`` only).
    random_state : int, RandomState or None
        Seed of the classifier (the same seed, data and parameters give the same model).
    **params
        Hyper-parameters of the classifier.

    Returns
    -------
    Pipeline
        Unfitted. After fitting, its ``classes_`` are the labels sorted (``ileal, other,
        pancreatic`` for the sites; scikit-learn's order: the columns of ``predict_proba`` and
        ``decision_function``) and its classifier's ``labels_`` the same in the contract's order.
    """
    k = get_kind(kind)
    random_state = check_seed(random_state, "random_state")
    if level == "subsite" and not k.subsites:
        raise InputError(f"kind: {kind!r} models the three sites only, not sub-sites")
    allowed = set(k.make_classifier(random_state=random_state)[1].get_params()) - {"random_state"}
    bad = sorted(str(p) for p in set(params) - allowed)
    if bad:
        raise InputError(
            f"params: {', '.join(bad)} is not a hyper-parameter of the {kind} kind; "
            f"expected some of {', '.join(sorted(allowed))}"
        )
    features, clf = k.make_classifier(random_state=random_state, **params)
    return pipeline_from_parts(features, SiteClassifier(clf, level=level))


def pipeline_from_parts(features, classifier):
    """check -> (features) -> classifier, as a scikit-learn Pipeline."""
    from sklearn.pipeline import Pipeline

    steps = [("check", CheckCases())]
    if features is not None:
        steps.append(("features", features))
    return Pipeline(steps + [("classifier", classifier)])
