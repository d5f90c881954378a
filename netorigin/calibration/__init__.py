"""Probabilities you can trust: temperature scaling, the deployment prior (over sub-sites when the
model learnt them), conformal prediction sets, reasons that add up, and :class:`SiteModel`, the
fitted estimator that chains them after the classifier."""

from ._explain import SCALE as EXPLANATION_SCALE
from ._explain import Explanation, clr, explain_clr
from ._site_model import MIN_PER_LABEL, MIN_PER_SITE, CaseSplitter, SiteModel, choose_labels
from ._steps import (
    ConformalSets,
    PriorShift,
    PRIOR_WORDS,
    TemperatureScaling,
    label_prior,
    prior_words,
    resolve_prior,
    reweight,
    scenario_priors,
    scenario_subsite_mixes,
    shift_prior,
    site_sums,
)

__all__ = ["EXPLANATION_SCALE", "MIN_PER_LABEL", "MIN_PER_SITE", "choose_labels", "CaseSplitter", "ConformalSets", "Explanation", "PriorShift", "SiteModel",
           "TemperatureScaling", "PRIOR_WORDS", "prior_words", "clr", "explain_clr", "label_prior", "resolve_prior", "reweight", "scenario_priors",
           "scenario_subsite_mixes", "shift_prior", "site_sums"]
