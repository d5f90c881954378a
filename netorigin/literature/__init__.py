"""The literature knowledge base and the synthetic cohorts drawn from it: per-site (and sub-site,
phenotype) rates from ``data/synthetic/parameters.csv``, the scenarios' site mixes, the work-up, the
cell model built from them, drawn and structured worlds, the exact Bayes posterior under that model,
the cells fitted to a cohort (EM), and the generator.

Every number the generator uses is a row of ``data/synthetic/parameters.csv`` (value, source,
figure as published, status: published, derived or assumed); the site mix of each scenario is
in ``scenarios.csv`` and the work-up (which tests were done) in ``workup.csv``. Pass other files
to study other assumptions. Used by the ``literature`` and ``latent-class`` model kinds and the
next-test advice; it knows nothing about either.

Examples
--------
>>> from netorigin.literature import SCENARIOS, Literature, bayes_posterior, make_synthetic_cohort
>>> lit = Literature()
>>> SCENARIOS
('liver-met-archive', 'population', 'unknown-primary')
>>> [round(float(x), 3) for x in lit.site_prior("unknown-primary")]
[0.75, 0.12, 0.13]
>>> cohort = make_synthetic_cohort(1000, scenario="unknown-primary", random_state=0)
>>> cohort["primary_site"].value_counts().idxmax()
'ileal'
>>> p = bayes_posterior(cohort, scenario="unknown-primary")
>>> list(p.columns), bool(abs(p.to_numpy().sum(axis=1) - 1).max() < 1e-9)
(['ileal', 'pancreatic', 'other'], True)
"""

from .._lazy import lazy_names
from ._cells import build_model, scenario_weights
from ._contradictions import contradiction_records, contradictions_in
from ._derivation import derive_setting_mix, setting_mix_interval
from ._fit import FittedCells, allowed_cells, cell_log_weights, fit_cells, floor_rates, label_log_joint
from ._knowledge import SCENARIOS, Literature, bayes_posterior, cell_posterior, default_literature, draw_world
from ._params import load_parameters, load_scenarios, parameter_records, scenario_mix, scenario_names, scenario_records
from ._posterior import fields_read, iter_field_logliks, log_likelihood
from ._residuals import structure_check
from ._results import ADVICE_TESTS, EXPRESSION, expression_band_table, expression_edges, result_tables
from ._settings import apply_setting, bundled_assumptions

__all__ = [
    "apply_setting",
    "bundled_assumptions",
    "derive_setting_mix",
    "setting_mix_interval",
    "structure_check",
    "floor_rates",
    "label_log_joint",
    "fit_cells",
    "cell_log_weights",
    "allowed_cells",
    "FittedCells",
    "ADVICE_TESTS",
    "EXPRESSION",
    "expression_band_table",
    "expression_edges",
    "SCENARIOS",
    "Literature",
    "bayes_posterior",
    "build_model",
    "cell_posterior",
    "contradiction_records",
    "contradictions_in",
    "default_literature",
    "draw_world",
    "iter_field_logliks",
    "fields_read",
    "load_parameters",
    "load_scenarios",
    "log_likelihood",
    "parameter_records",
    "scenario_records",
    "result_tables",
    "scenario_mix",
    "scenario_names",
    "scenario_weights",
    "MAX_CASES",
    "MAX_WORLDS",
    "check_parameters",
    "make_synthetic_cohort",
    "thin_cases",
    "training_worlds",
]


# The generator reads pandas and scikit-learn: imported when first asked for, so that scoring one
# case, which needs only the cells above, does not pay for it.
_GENERATOR = {
    "check_parameters": "_check",
    "MAX_WORLDS": "_cohort",
    "make_synthetic_cohort": "_cohort",
    "training_worlds": "_cohort",
    "MAX_CASES": "_generate",
    "thin_cases": "_thin",
}

__getattr__, __dir__ = lazy_names(__name__, _GENERATOR)
