"""Tracking: the only layer that imports MLflow (inside the functions that use it). Tracked
training, evaluation and comparison runs, the registry, the pickle-free MLflow pyfunc, the figures logged with
a run, and models named by a bundle folder or an MLflow URI."""

from ._compare import compare_run
from ._mlflow import log_run, registered_bundle_path, save_pyfunc
from ._runs import bundle_dir_for, evaluate_run, load_model, metrics_json, model_card, train_run

__all__ = [
    "bundle_dir_for",
    "compare_run",
    "evaluate_run",
    "load_model",
    "log_run",
    "metrics_json",
    "model_card",
    "registered_bundle_path",
    "save_pyfunc",
    "train_run",
]
