"""Synthetic cohorts in the case contract, drawn from the literature's cell model."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..exceptions import InputError
from ..literature import Literature, default_literature, draw_world
from ._generate import generate


def make_synthetic_cohort(
    n: int,
    *,
    scenario: str = "liver-met-archive",
    random_state=None,
    workup: str | Path | pd.DataFrame | None = "routine",
    label_noise: float = 0.0,
    literature: Literature | None = None,
    prefix: str = "syn",
    return_latent: bool = False,
    world: int | None = None,
) -> pd.DataFrame:
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
    literature : Literature, optional
        Alternative parameter files.
    return_latent : bool
        Add a ``latent_cell`` column (sub-site/phenotype); for checks, never for training.
    world : int, optional
        Draw the cases from world ``world`` (:func:`~netorigin.literature.draw_world`: every
        parameter drawn from its uncertainty) instead of the literature's own values; its exact
        posterior is ``bayes_posterior(cohort, world=world)``.
    """
    lit = literature if literature is not None else default_literature()
    if world is not None:
        lit = draw_world(world, literature=lit)
    if scenario not in lit.scenario_names():
        raise InputError(f"scenario: {scenario!r} is not one of {', '.join(lit.scenario_names())}")
    return generate(
        lit.model,
        lit.weights(scenario),
        n,
        random_state=random_state,
        workup=lit.workup(workup),
        label_noise=label_noise,
        subsite_weights=lit.subsite_weights(scenario),
        prefix=prefix,
        return_cells=return_latent,
    )
