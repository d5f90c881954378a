"""The model, its calibration, sets and reasons, and its bundle on disk.

:class:`SiteModel` is one fitted scikit-learn estimator from a case table to
probabilities, sets and reasons (:class:`Forward`: what one pass of it gives), the rule that
chooses what it learns from a cohort, and the steps it chains after the classifier: temperature
scaling, the deployment prior (over sub-sites when the model learnt them), conformal prediction
sets and reasons that add up. A fitted model on disk is a bundle: a folder of JSON, CSV and
xgboost UBJ files, checked on every read (no pickle)."""

from ._bundle import BUNDLE_FORMAT_VERSION, load_bundle, save_bundle
from ._calibrate import keep_uncalibrated
from ._conformal import MAX_CALIBRATION_CASES, SET_ABOVE, SET_HOLDS, SET_KEPT, ConformalSets, mass_sets
from ._explain import SCALE as EXPLANATION_SCALE
from ._explain import SCALE_ALLOWED as EXPLANATION_SCALE_ALLOWED
from ._explain import Explanation, explain_clr, make_explanation
from ._forward import Forward
from ._labels import MIN_PER_LABEL, MIN_PER_SITE, CaseSplitter, choose_labels
from ._prior import (
    PRIOR_WORDS,
    PriorShift,
    allowed_sites,
    prior_words,
    resolve_prior,
    reweight,
    scenario_priors,
    scenario_subsite_mixes,
)
from ._site_model import SiteModel
from ._temperature import TemperatureScaling

__all__ = [
    "MIN_PER_LABEL",
    "MIN_PER_SITE",
    "CaseSplitter",
    "Forward",
    "SiteModel",
    "choose_labels",
    "keep_uncalibrated",
    "EXPLANATION_SCALE",
    "MAX_CALIBRATION_CASES",
    "EXPLANATION_SCALE_ALLOWED",
    "PRIOR_WORDS",
    "SET_ABOVE",
    "SET_HOLDS",
    "SET_KEPT",
    "ConformalSets",
    "Explanation",
    "PriorShift",
    "TemperatureScaling",
    "allowed_sites",
    "explain_clr",
    "make_explanation",
    "mass_sets",
    "prior_words",
    "resolve_prior",
    "reweight",
    "scenario_priors",
    "scenario_subsite_mixes",
    "BUNDLE_FORMAT_VERSION",
    "load_bundle",
    "save_bundle",
]
