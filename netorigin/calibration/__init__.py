"""Probabilities you can trust: temperature scaling, the deployment prior (over sub-sites when the
model learnt them), conformal prediction sets and reasons that add up; each a scikit-learn step
that :class:`~netorigin.estimator.SiteModel` chains after the classifier."""

from ..contract import site_sums  # its home is the contract (the literature and models need it too)
from ._conformal import MAX_CALIBRATION_CASES, SET_ABOVE, SET_HOLDS, SET_KEPT, ConformalSets, mass_sets
from ._explain import SCALE as EXPLANATION_SCALE
from ._explain import SCALE_ALLOWED as EXPLANATION_SCALE_ALLOWED
from ._explain import Explanation, explain_clr, make_explanation
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
from ._temperature import TemperatureScaling

__all__ = [
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
    "site_sums",
]
