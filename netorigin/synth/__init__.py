"""Literature-calibrated synthetic cohorts (the generator only; the knowledge it draws from is
``netorigin.literature``).

Every number the generator uses is a row of ``data/synthetic/parameters.csv`` (value, source,
figure as published, status: published, derived or assumed); the site mix of each scenario is
in ``scenarios.csv`` and the work-up (which tests were done) in ``workup.csv``. Pass other files
to study other assumptions.

Examples
--------
>>> from netorigin.synth import make_synthetic_cohort
>>> from netorigin.literature import bayes_posterior
>>> cohort = make_synthetic_cohort(1000, scenario="unknown-primary", random_state=0)
>>> cohort["primary_site"].value_counts().idxmax()
'ileal'
>>> p = bayes_posterior(cohort, scenario="unknown-primary")
>>> list(p.columns), bool(abs(p.to_numpy().sum(axis=1) - 1).max() < 1e-9)
(['ileal', 'pancreatic', 'other'], True)
"""

from ._check import check_parameters
from ._cohort import MAX_WORLDS, make_synthetic_cohort, training_worlds
from ._generate import MAX_CASES
from ._thin import thin_cases

__all__ = ["MAX_CASES", "MAX_WORLDS", "check_parameters", "make_synthetic_cohort", "thin_cases", "training_worlds"]
