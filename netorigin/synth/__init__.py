"""Literature-calibrated synthetic cohorts and their exact Bayes posterior.

Every number the generator uses is a row of ``data/synthetic/parameters.csv`` (value, source,
figure as published, status: published, derived or assumed); the site mix of each scenario is
in ``scenarios.csv`` and the work-up (which tests were done) in ``workup.csv``. Pass other files
to study other assumptions.

Examples
--------
>>> from netorigin.synth import make_synthetic_cohort, bayes_posterior
>>> cohort = make_synthetic_cohort(1000, scenario="unknown-primary", random_state=0)
>>> cohort["primary_site"].value_counts().idxmax()
'ileal'
>>> p = bayes_posterior(cohort, scenario="unknown-primary")
>>> list(p.columns), bool(abs(p.to_numpy().sum(axis=1) - 1).max() < 1e-9)
(['ileal', 'pancreatic', 'other'], True)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._fields import SITES
from ..exceptions import InputError
from ..features import as_canonical
from ._generate import generate
from ._model import SUBSITES, Model, build_model, scenario_weights
from ._params import load_parameters, load_scenarios, load_workup, scenario_names
from ._posterior import log_likelihood, posterior_from_loglik

__all__ = ["make_synthetic_cohort", "bayes_posterior", "load_parameters", "load_scenarios",
           "load_workup", "scenario_names", "SyntheticModel", "SCENARIOS"]

SCENARIOS = ("liver-met-archive", "population", "unknown-primary")


class SyntheticModel:
    """The generator's model: parameters, scenarios and work-up, resolved once.

    Parameters
    ----------
    parameters, scenarios, workup : path, optional
        Alternative parameter files (defaults: the bundled ``data/synthetic/`` files).
    """

    def __init__(self, parameters=None, scenarios=None, workup=None):
        self.parameters = load_parameters(parameters)
        self.scenarios = load_scenarios(scenarios)
        self.workup_table = load_workup(workup)
        self.model: Model = build_model(self.parameters)

    def weights(self, scenario: str) -> np.ndarray:
        return scenario_weights(self.model, self.scenarios, scenario)

    def subsite_weights(self, scenario: str) -> dict[str, np.ndarray]:
        rows = self.scenarios[(self.scenarios["scenario"] == scenario) & (self.scenarios["level"] == "subsite")]
        share = dict(zip(rows["site"], rows["value"]))
        return {s: np.array([share.get(x, 0.0) for x in SUBSITES[s]]) for s in SITES}

    def workup(self, workup: str | Path | pd.DataFrame | None) -> pd.DataFrame | None:
        if workup is None or (isinstance(workup, str) and workup == "routine"):
            return self.workup_table
        if isinstance(workup, str) and workup == "complete":
            return None
        if isinstance(workup, pd.DataFrame):
            return workup
        return load_workup(workup)


_DEFAULT: SyntheticModel | None = None


def _default_model() -> SyntheticModel:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = SyntheticModel()
    return _DEFAULT


def _resolve(model: SyntheticModel | None) -> SyntheticModel:
    return model if model is not None else _default_model()


def make_synthetic_cohort(n: int, *, scenario: str = "liver-met-archive", random_state=None,
                          workup: str | Path | pd.DataFrame | None = "routine",
                          label_noise: float = 0.0, model: SyntheticModel | None = None,
                          prefix: str = "syn", return_latent: bool = False) -> pd.DataFrame:
    """Draw a synthetic cohort in the case contract, with ``primary_site`` labels.

    Parameters
    ----------
    n : int
        Number of cases.
    scenario : str
        Site mix: ``liver-met-archive`` (known primaries in liver-metastasis series),
        ``population`` (metastatic NETs in a population registry) or ``unknown-primary``
        (what initially unknown primaries turn out to be); see ``data/synthetic/scenarios.csv``.
    random_state : int, RandomState or None
        Same seed, scenario and parameter files give the same cohort.
    workup : "routine", "complete", a path or a DataFrame
        Which tests were done. ``"complete"`` does every test.
    label_noise : float
        Probability that a case's site label is replaced by one of the other two sites.
    model : SyntheticModel, optional
        Alternative parameter files.
    return_latent : bool
        Add a ``latent_cell`` column (sub-site/phenotype); for checks, never for training.
    """
    sm = _resolve(model)
    if scenario not in scenario_names(sm.scenarios):
        raise InputError(f"scenario: {scenario!r} is not one of {', '.join(scenario_names(sm.scenarios))}")
    return generate(sm.model, sm.weights(scenario), n, random_state=random_state,
                    workup=sm.workup(workup), label_noise=label_noise,
                    subsite_weights=sm.subsite_weights(scenario), prefix=prefix,
                    return_cells=return_latent)


def bayes_posterior(cohort: pd.DataFrame, *, scenario: str = "liver-met-archive",
                    label_noise: float = 0.0, model: SyntheticModel | None = None) -> pd.DataFrame:
    """p(site | observed fields) under the generator's own model, for any cohort in the contract.

    Missing fields are marginalised. On a cohort drawn from the same scenario and files this
    is the best any model can do: its accuracy and log-loss are the ceiling.

    Returns a DataFrame with columns ``ileal, pancreatic, other`` and the cohort's index.
    """
    sm = _resolve(model)
    table = as_canonical(cohort)
    L = log_likelihood(sm.model, table)
    post = posterior_from_loglik(L, sm.model, sm.weights(scenario), label_noise)
    return pd.DataFrame(post, columns=list(SITES), index=cohort.index)
