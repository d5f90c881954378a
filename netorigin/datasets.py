"""Bundled data: the seed paper's seven patients and example cases.

Files live in the repository's ``data/`` folder, shipped inside the package as
``netorigin/data`` and read with :mod:`importlib.resources`. ``NETORIGIN_DATA`` may point to
another folder with the same layout.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from .io import load_cases
from .schema import ValidatedCohort

__all__ = ["data_path", "load_seed_cohort", "example_case_path"]


def data_path(*parts: str) -> Path:
    """Path of a bundled data file (``NETORIGIN_DATA`` overrides the bundled folder)."""
    root = os.environ.get("NETORIGIN_DATA")
    base = Path(root) if root else Path(str(resources.files("netorigin") / "data"))
    return base.joinpath(*parts)


def load_seed_cohort() -> ValidatedCohort:
    """The seven patients of the seed paper (Tables 1-3), validated; primary site unknown.

    >>> load_seed_cohort().n_cases
    7
    """
    return load_cases(data_path("seed_cohort.csv"), kind="cohort")


def example_case_path(name: str = "example_case.yaml") -> Path:
    """Path of a bundled example case (``data/examples/``)."""
    return data_path("examples", name)
