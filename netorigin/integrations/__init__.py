"""The edges: MLflow tracking and serving, plots, HTML reports, and tracked train/evaluate runs.
``mlflow``, ``shap`` and ``matplotlib`` are imported here only, inside the functions that use them."""

from ._report import html_report
from ._runs import evaluate_run, load_model, metrics_json, train_run

__all__ = ["evaluate_run", "html_report", "load_model", "metrics_json", "train_run"]
