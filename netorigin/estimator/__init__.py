"""The model, its calibration, sets and reasons, and its bundle on disk.

:class:`SiteModel` is one fitted scikit-learn estimator from a case table to
probabilities, sets and reasons (:class:`Forward`: what one pass of it gives), the rule that
chooses what it learns from a cohort, and the steps it chains after the classifier: temperature
scaling, the deployment prior (over sub-sites when the model learnt them), conformal prediction
sets and reasons that add up. A fitted model on disk is a bundle: a folder of JSON, CSV and
xgboost UBJ files, checked on every read (no pickle)."""

from ._bundle import load_bundle, save_bundle
from ._calibrate import keep_uncalibrated
from ._cells import ModelCells
from ._conformal import SET_ABOVE, SET_KEPT, ConformalSets, mass_sets
from ._labels import MIN_PER_SITE, CaseSplitter, choose_labels
from ._prior import prior_words, resolve_prior
from ._site_model import ModelIdentity, SiteModel

__all__ = [
    "MIN_PER_SITE",
    "CaseSplitter",
    "SiteModel",
    "ModelCells",
    "ModelIdentity",
    "choose_labels",
    "keep_uncalibrated",
    "SET_ABOVE",
    "SET_KEPT",
    "ConformalSets",
    "mass_sets",
    "prior_words",
    "resolve_prior",
    "load_bundle",
    "save_bundle",
]
