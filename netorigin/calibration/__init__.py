"""Probabilities you can trust: temperature scaling, the deployment prior, conformal prediction
sets, and :class:`SiteModel`, the fitted estimator that chains them after the classifier."""

from ._site_model import CaseSplitter, Explanation, SiteModel
from ._steps import (
    COVERAGE_LEVELS,
    ConformalSets,
    PriorShift,
    TemperatureScaling,
    resolve_prior,
    scenario_priors,
    shift_prior,
)

__all__ = ["COVERAGE_LEVELS", "CaseSplitter", "ConformalSets", "Explanation", "PriorShift", "SiteModel",
           "TemperatureScaling", "resolve_prior", "scenario_priors", "shift_prior"]
