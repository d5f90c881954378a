"""netorigin: predict the primary site of a metastatic well-differentiated neuroendocrine tumour.

For research use only; not a medical device.

The public surface is listed in ``__all__``; everything else is private. Names are imported
lazily, so that ``import netorigin`` (and parsing one case) does not pay for scikit-learn,
xgboost, shap or mlflow.
"""

from importlib import import_module

from ._version import __version__

_EXPORTS = {
    "FIELDS": "schema",
    "SCHEMA_VERSION": "schema",
    "Notice": "schema",
    "ValidatedCohort": "schema",
    "check_case": "schema",
    "check_cohort": "schema",
    "validate_case": "schema",
    "validate_cohort": "schema",
    "InputError": "exceptions",
    "NetoriginError": "exceptions",
    "Problem": "exceptions",
    "ValidationError": "exceptions",
    "load_cases": "io",
    "load_cohort": "io",
    "read_table": "io",
    "write_table": "io",
    "data_path": "datasets",
    "example_case_path": "datasets",
    "load_seed_cohort": "datasets",
    "describe_cohort": "describe",
    "CaseFeatures": "features",
    "CheckCases": "features",
    "make_case_template": "template",
    "make_synthetic_cohort": "synth",
    "bayes_posterior": "synth",
    "make_model": "models",
    "train_site_model": "train",
    "SiteModel": "bundle",
    "load_bundle": "bundle",
    "score_cases": "score",
    "case_report": "score",
    "load_mapping": "mapping",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'netorigin' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
