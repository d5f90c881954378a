"""Where the bundled data lives, and readers for the bundled cohort and cases."""

from __future__ import annotations

import os
from importlib import util
from pathlib import Path

from ..contract import ValidatedCohort
from ._read import load_cases


def _root() -> Path:
    env = os.environ.get("NETORIGIN_DATA")
    if env:
        return Path(env)
    spec = util.find_spec("netorigin.data")  # the package data folder (a namespace package: no code)
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    # imported from a source checkout that shadows the installed package (python run from the
    # clone's root): the data folder is the clone's own top-level data/
    return Path(__file__).resolve().parents[2] / "data"


def data_path(*parts: str) -> Path:
    """Path of a bundled data file (``NETORIGIN_DATA`` overrides the bundled folder).

    Parameters
    ----------
    *parts : str
        Path parts under the data folder.

    Returns
    -------
    Path
    """
    return _root().joinpath(*parts)


def default_model_path() -> Path:
    """The shipped model's bundle folder (``data/models/default``).

    Returns
    -------
    Path
    """
    return data_path("models", "default")


def load_seed_cohort() -> ValidatedCohort:
    """The seven patients of the seed paper (Tables 1-3), validated; primary site unknown.

    Returns
    -------
    ValidatedCohort

    >>> load_seed_cohort().n_cases
    7
    """
    return load_cases(data_path("seed_cohort.csv"), kind="cohort")


def example_case_path(name: str = "example_case.yaml") -> Path:
    """Path of a bundled example case (``data/examples/``).

    Parameters
    ----------
    name : str
        File name in ``data/examples/``.

    Returns
    -------
    Path
    """
    return data_path("examples", name)
