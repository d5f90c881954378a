"""netorigin: predict the primary site of a metastatic well-differentiated neuroendocrine tumour.

For research use only (see ``RESEARCH_NOTICE``).

The public surface is listed in ``__all__``; everything else is private (modules with a leading
underscore, or reached through the layer packages). Names are imported lazily, so that
``import netorigin`` (and parsing one case) does not pay for scikit-learn, xgboost, shap or mlflow.

Layers, lowest first (each imports only from those below it; ``lint-imports`` checks this):
contract -> io -> literature -> models -> estimator -> inference -> training -> app -> cli.
"""

from importlib import import_module

from ._version import __version__

_EXPORTS = {
    # contract
    "FIELDS": "contract",
    "SITES": "contract",
    "SUBSITES": "contract",
    "SCHEMA_VERSION": "contract",
    "RESEARCH_NOTICE": "contract",
    "Notice": "contract",
    "ValidatedCohort": "contract",
    "check_case": "contract",
    "check_cohort": "contract",
    "validate_case": "contract",
    "validate_cohort": "contract",
    "describe_cohort": "contract",
    "make_case_template": "contract",
    # errors
    "InputError": "exceptions",
    "NetoriginError": "exceptions",
    "OutOfScopeError": "exceptions",
    "Problem": "exceptions",
    "ValidationError": "exceptions",
    # io and data
    "load_cases": "io",
    "load_cohort": "io",
    "read_table": "io",
    "write_table": "io",
    "load_mapping": "io",
    "data_path": "io",
    "example_case_path": "io",
    "load_seed_cohort": "io",
    "default_model_path": "io",
    # features, knowledge, synthetic data
    "CaseFeatures": "io",
    "CheckCases": "io",
    "Literature": "literature",
    "bayes_posterior": "literature",
    "make_synthetic_cohort": "literature",
    # models and the fitted model
    "MODEL_KINDS": "models",
    "make_model": "models",
    "SiteModel": "estimator",
    "ModelCells": "estimator",
    "ModelIdentity": "estimator",
    "resolve_prior": "estimator",
    "evaluate_model": "training",
    "compare_models": "training",
    "load_bundle": "estimator",
    "save_bundle": "estimator",
    "score_cases": "inference",
    "score_cohort": "inference",
    "case_report": "inference",
    "train": "training",
    "TrainResult": "training",
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
