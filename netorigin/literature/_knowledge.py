"""The literature knowledge base: the parameter files resolved into the cell model, and the exact
Bayes posterior under it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._math import safe_log, softmax
from ..contract import SITES, SUBSITES, as_canonical, site_sums
from ..exceptions import InputError
from ..io import data_path
from ._cells import Model, build_model, scenario_weights
from ._params import (
    frame,
    load_workup,
    load_workup_mix,
    parameter_records,
    records_of,
    scenario_mix,
    scenario_names,
    scenario_records,
)
from ._posterior import log_likelihood, posterior_from_loglik
from ._settings import apply_setting, setting_assumptions
from ._structure import structured_rows
from ._worlds import draw_rows

if TYPE_CHECKING:
    import pandas as pd

# The named deployment settings (their site and sub-site mixes are rows of scenarios.csv).
SCENARIOS = ("liver-met-archive", "population", "unknown-primary")


class Literature:
    """The literature's parameter files, resolved once into the cell model.

    Parameters
    ----------
    parameters, scenarios, workup : path, optional
        Alternative parameter files (defaults: the bundled ``data/synthetic/`` files).
    """

    def __init__(self, parameters=None, scenarios=None, workup=None):
        self.parameter_rows = parameter_records(parameters)
        self.scenario_rows = scenario_records(scenarios)
        self._workup = (workup,)  # read when first needed (scoring never needs it)
        self.model: Model = build_model(self.parameter_rows, parameters or data_path("synthetic", "parameters.csv"))

    @property
    def parameters(self) -> pd.DataFrame:
        """The parameter rows as a pandas table."""
        return frame(self.parameter_rows)

    @parameters.setter
    def parameters(self, table) -> None:
        """New parameter rows (records or a pandas table); the cell model is not rebuilt."""
        self.parameter_rows = records_of(table)

    @property
    def scenarios(self) -> pd.DataFrame:
        """The scenario rows as a pandas table."""
        return frame(self.scenario_rows)

    @property
    def workup_table(self) -> pd.DataFrame | None:
        """The work-up table (read on first use)."""
        if isinstance(getattr(self, "_workup", None), tuple):
            self._workup = load_workup(self._workup[0])
        return getattr(self, "_workup", None)

    @workup_table.setter
    def workup_table(self, table) -> None:
        self._workup = table

    @classmethod
    def from_tables(cls, parameters, scenarios, where="parameters.csv") -> Literature:
        """A knowledge base from already-read parameter and scenario rows.

        Parameters
        ----------
        parameters : list of dict or DataFrame
            The parameter rows (a bundle's copies, a drawn world).
        scenarios : list of dict or DataFrame
            The scenario rows.
        where : str
            The parameter table's file, named in errors.

        Returns
        -------
        Literature
            The knowledge base.
        """
        lit = cls.__new__(cls)
        lit.parameter_rows, lit.scenario_rows = records_of(parameters), records_of(scenarios)
        lit.workup_table = None
        lit.model = build_model(lit.parameter_rows, where)
        return lit

    def scenario_names(self) -> list[str]:
        return scenario_names(self.scenario_rows)

    def weights(self, scenario: str) -> np.ndarray:
        """Prior weight of every latent cell under a setting.

        Parameters
        ----------
        scenario : str
            A setting's name (``netorigin.SCENARIOS``).

        Returns
        -------
        ndarray of shape (n_cells,)
            The weights.
        """
        return scenario_weights(self.model, self.scenario_rows, scenario)

    def site_prior(self, scenario: str) -> np.ndarray:
        """The setting's site mix.

        Parameters
        ----------
        scenario : str
            A setting's name (``netorigin.SCENARIOS``).

        Returns
        -------
        ndarray of shape (3,)
            ileal, pancreatic, other, summing to 1.
        """
        w = self.weights(scenario)
        site = self.model.cell_site
        return site_sums(w, site) / w.sum()

    def subsite_weights(self, scenario: str) -> dict[str, np.ndarray]:
        share = scenario_mix(self.scenario_rows, scenario)[1]
        return {s: np.array([share.get(x, 0.0) for x in SUBSITES[s]]) for s in SITES}

    def assumptions(self, scenario) -> tuple[str, ...]:
        """The procedures a setting assumes negative (:mod:`netorigin.literature._settings`).

        Parameters
        ----------
        scenario : str
            A setting's name (``netorigin.SCENARIOS``).

        Returns
        -------
        tuple of str
            The procedure fields.
        """
        return setting_assumptions(self.scenario_rows, scenario)

    def workup_names(self) -> list[str]:
        """The named work-ups of the work-up file, then ``mixture`` and ``complete``.

        Returns
        -------
        list of str
            The names.
        """
        names = list(dict.fromkeys(self.workup_table["workup"])) if self.workup_table is not None else []
        return names + ["mixture", "complete"]

    def workup(self, workup: str | Path | pd.DataFrame | None):
        """The work-up table: which tests a case of a work-up records.

        Parameters
        ----------
        workup : str, Path, DataFrame or None
            A named work-up of the file (``routine``, the default, ``community``, ``referral``,
            ``sparse``), ``complete`` (every test), ``mixture`` (the work-ups in the shares of
            ``workup_mix.csv``), a path or a table.

        Returns
        -------
        DataFrame or list of tuple
            The table; for ``mixture``, a list of (name, share, table).
        """
        import pandas as pd

        if workup is None:
            workup = "routine"
        if isinstance(workup, str) and workup == "complete":
            return None
        if isinstance(workup, pd.DataFrame):
            return workup
        if isinstance(workup, str) and not workup.endswith(".csv"):
            if self.workup_table is None:
                raise InputError("work-up: this knowledge base was built without a work-up file")
            if workup == "mixture":
                mix = load_workup_mix(workups=set(self.workup_table["workup"]))
                return [(r.workup, float(r.share), self._named_workup(r.workup)) for r in mix.itertuples()]
            if workup not in set(self.workup_table["workup"]):
                raise InputError(f"workup: {workup!r} is not one of {', '.join(self.workup_names())}")
            return self._named_workup(workup)
        return load_workup(workup)

    def _named_workup(self, name: str) -> pd.DataFrame:
        return self.workup_table[self.workup_table["workup"] == name].reset_index(drop=True)

    def bayes_posterior(
        self, cohort: pd.DataFrame, *, scenario: str = "liver-met-archive", label_noise: float = 0.0
    ) -> pd.DataFrame:
        """The exact posterior p(site | observed fields) under the cell model, for any cohort in the contract.

        Missing fields are marginalised. On a cohort drawn from the same scenario and files this is the
        best any model can do: its accuracy and log-loss are the ceiling.

        Parameters
        ----------
        cohort : DataFrame
            Cases in the contract.
        scenario : str
            The setting whose site mix is the prior.
        label_noise : float
            The share of labels assumed wrong (0: none).

        Returns
        -------
        DataFrame
            One column per site (ileal, pancreatic, other), indexed as the cohort.
        """
        import pandas as pd

        table = apply_setting(as_canonical(cohort), self.assumptions(scenario))[0]
        L = log_likelihood(self.model, table)
        post = posterior_from_loglik(L, self.model, self.weights(scenario), label_noise)
        index = getattr(cohort, "index", getattr(table, "index", None))  # the cohort's own, else the cases'
        return pd.DataFrame(post, columns=list(SITES), index=index)


def cell_posterior(model: Model, table: pd.DataFrame, weights: np.ndarray) -> np.ndarray:
    """(n, cells) exact p(cell | observed fields) under the cell model and cell weights."""
    L = log_likelihood(model, as_canonical(table))
    return softmax(L + safe_log(weights)[None, :])


def draw_world(seed: int, literature: Literature | None = None, structure: str | None = None) -> Literature:
    """One plausible world: the literature's parameter rows with every value drawn from its
    uncertainty (``n_eff``; :mod:`netorigin.literature._worlds` says how); same seed, same world.
    Its scenarios and work-up are the literature's. ``structure`` (``cells``, ``subtypes``,
    ``factor``, ``pairs`` or ``any``): a world whose structure differs too
    (:mod:`netorigin.literature._structure`; ``world.structure`` says what was drawn).

    >>> w = draw_world(1)
    >>> v = {(r["parameter"], r["site"]): r["value"] for r in w.parameter_rows}
    >>> 0 < v[("rate:ihc_cdx2=positive", "ileal")] < 1 and w.parameter_rows != draw_world(2).parameter_rows
    True
    """
    lit = literature if literature is not None else default_literature()
    rows, drawn = draw_rows(seed, lit.parameter_rows), None
    if structure is not None:
        rows, drawn = structured_rows(rows, structure, seed)
    world = Literature.from_tables(rows, lit.scenario_rows)
    world.workup_table = lit.workup_table
    world.world, world.structure = int(seed), drawn
    return world


_DEFAULT: Literature | None = None


def default_literature() -> Literature:
    """The bundled knowledge base, read once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Literature()
    return _DEFAULT


def bayes_posterior(
    cohort: pd.DataFrame,
    *,
    scenario: str = "liver-met-archive",
    label_noise: float = 0.0,
    literature: Literature | None = None,
    world: int | None = None,
    structure: str | None = None,
) -> pd.DataFrame:
    """The exact posterior p(site | observed fields) under the literature's cell model
    (see :meth:`Literature.bayes_posterior`),
    or under drawn world ``world`` (:func:`~netorigin.literature.draw_world`).

    Returns a DataFrame with columns ``ileal, pancreatic, other`` and the cohort's index.

    Parameters
    ----------
    cohort : DataFrame or ValidatedCohort
        Cases in the contract (missing fields are marginalised), or a mapping for one case.
    scenario : str
        The site mix of the setting (a scenario of ``data/synthetic/scenarios.csv``).
    label_noise : float
        Probability that a label was replaced at random (as in ``make_synthetic_cohort``).
    literature : Literature, optional
        Another knowledge base than the bundled one.
    world : int, optional
        A drawn world's seed: its exact posterior.
    structure : str, optional
        The drawn world's structure (:func:`draw_world`).

    Returns
    -------
    DataFrame
        Columns ``ileal, pancreatic, other`` (rows sum to 1), the cohort's index.
    """
    lit = literature if literature is not None else default_literature()
    if world is not None:
        lit = draw_world(world, literature=lit, structure=structure)
    elif structure is not None:
        raise InputError("structure: a structured world needs its seed (world)")
    return lit.bayes_posterior(cohort, scenario=scenario, label_noise=label_noise)
