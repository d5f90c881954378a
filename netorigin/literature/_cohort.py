"""Synthetic cohorts in the case contract, drawn from the literature's cell model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import InputError
from ._generate import MAX_CASES, generate
from ._knowledge import Literature, default_literature, draw_world

MAX_WORLDS = 10_000  # plausible worlds one cohort is drawn from (the shipped model: 400)


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
    worlds: int | None = None,
    structure: str | None = None,
) -> pd.DataFrame:
    """Draw a synthetic cohort in the case contract, with ``primary_site`` labels.

    Parameters
    ----------
    n : int
        Number of cases.
    scenario : str
        Site mix: ``liver-met-archive`` (known primaries in liver-metastasis series),
        ``population`` (metastatic NETs in a population registry), ``unknown-primary``
        (what initially unknown primaries turn out to be) or ``training-mix`` (the three mixed
        equally: a design choice, not a clinical setting); see ``data/synthetic/scenarios.csv``.
    random_state : int, RandomState or None
        Same seed, scenario and parameter files give the same cohort.
    workup : str, path or DataFrame
        Which tests were done: a work-up of ``data/synthetic/workup.csv`` (``routine``, the
        default, ``community``, ``referral``, ``sparse``, ``minimal``), ``"mixture"`` (each case
        drawn from those work-ups in the shares of ``workup_mix.csv``), ``"complete"`` (every
        test), a work-up file (.csv) or a work-up table.
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
    worlds : int, optional
        Draw the cases from this many worlds (about n / worlds each; the worlds' seeds are
        :func:`training_worlds` of ``random_state``): what a model that knows how uncertain the
        literature is trains on.
    structure : str, optional
        With ``world`` or ``worlds``: worlds whose structure differs from the literature's too
        (``cells``, ``subtypes``, ``factor``, ``pairs``, or ``any``: one drawn per world; see
        :func:`~netorigin.literature.draw_world`); the exact posterior is
        ``bayes_posterior(cohort, world=world, structure=structure)``.

    prefix : str
        Case ids are ``<prefix>-0000001`` and so on.

    Returns
    -------
    DataFrame
        The cases in the contract, with ``primary_site`` and ``primary_site_detail``.
    """
    lit = literature if literature is not None else default_literature()
    if worlds is not None:
        if world is not None:
            raise InputError("world, worlds: give one world or a number of worlds, not both")
        return _from_worlds(n, worlds, lit, scenario, random_state, workup, label_noise, prefix, structure)
    if world is not None:
        lit = draw_world(world, literature=lit, structure=structure)
    elif structure is not None:
        raise InputError("structure: a structured world needs world (its seed) or worlds")
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
        assumed_negative=lit.assumptions(scenario),
    )


def training_worlds(count: int, random_state=None) -> list[int]:
    """The seeds of the ``count`` worlds a multi-world cohort with this ``random_state`` is drawn
    from (31-bit numbers drawn from a stream of their own: a benchmark's held-out worlds can be
    checked against them)."""
    from ..exceptions import check_seed

    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_WORLDS:
        raise InputError(f"worlds: {count!r} is not a whole number from 1 to {MAX_WORLDS:,}")
    seed = check_seed(random_state)
    rng = np.random.default_rng([0 if seed is None else int(seed), 0x574F524C])  # "WORL"
    return [int(x) for x in rng.choice(2**31, size=count, replace=False)]


def _from_worlds(n, count, lit, scenario, random_state, workup, label_noise, prefix, structure=None) -> pd.DataFrame:
    if not (isinstance(n, (int, np.integer)) and count <= n <= MAX_CASES):
        raise InputError(f"n: {n!r} is not a whole number from the number of worlds ({count}) to {MAX_CASES:,}")
    seeds = training_worlds(count, random_state)
    sizes = np.full(count, n // count) + (np.arange(count) < n % count)
    parts = [
        make_synthetic_cohort(
            int(size),
            scenario=scenario,
            random_state=seed,
            workup=workup,
            label_noise=label_noise,
            literature=draw_world(seed, literature=lit, structure=structure),
            prefix=prefix,
        )
        for seed, size in zip(seeds, sizes)
    ]
    out = pd.concat(parts, ignore_index=True)
    width = max(7, len(str(n)))
    out["case_id"] = [f"{prefix}-{i:0{width}d}" for i in range(1, n + 1)]
    for c in parts[0].columns:  # categories as one generated cohort has them
        if isinstance(parts[0][c].dtype, pd.CategoricalDtype):
            out[c] = pd.Categorical(out[c].astype(object), categories=parts[0][c].cat.categories)
    return out
