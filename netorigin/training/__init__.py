"""Training and everything that judges a trained model: one ``train`` (engine ``local`` or
``dask``), the benchmark of every kind against the exact posterior; metrics with bootstrap
intervals over patients, calibration error, conformal coverage, risk-coverage and robustness,
computed from labels and predicted probabilities, and models compared on the same cases with
paired intervals; the Dask engine (``pip install 'netorigin[dask]'``; dask and distributed are
imported only inside the functions that use them: partitioned synthetic cohorts, the distributed
booster fit, batch scoring over partitions); and tracking: MLflow (imported only in ``_mlflow.py``,
``_runs.py``, ``_serving.py``, ``_pyfunc_model.py`` and ``_compare_run.py``, inside the functions that
use it): tracked training, evaluation and comparison runs, the registry, the pickle-free MLflow pyfunc,
the figures logged with a run, and models named by a bundle folder or an MLflow URI."""

from .._lazy import lazy_names

__all__ = [
    "TrainResult",
    "benchmark",
    "benchmark_markdown",
    "calibration_summary",
    "fingerprint",
    "train",
    "Comparison",
    "MAX_BOOTSTRAP",
    "PatientBootstrap",
    "compare_models",
    "check_bootstrap",
    "evaluate_model",
    "expected_calibration_error",
    "metrics_by_information",
    "proportion_interval",
    "score_partitions",
    "synth_partitions",
    "compare_run",
    "evaluate_run",
    "load_model",
    "log_run",
    "metrics_json",
    "registered_bundle_path",
    "save_pyfunc",
    "train_run",
]

# Every name is imported when first asked for: the floor reads pandas, scikit-learn and, in its
# tracking modules, MLflow, which scoring one case must not pay for.
__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "PatientBootstrap": "_bootstrap",
        "calibration_summary": "_checks",
        "compare_models": "_compare",
        "Comparison": "_compare_result",
        "compare_run": "_compare_run",
        "synth_partitions": "_dask_partitions",
        "score_partitions": "_dask_score",
        "evaluate_model": "_metrics",
        "expected_calibration_error": "_metrics",
        "metrics_by_information": "_metrics",
        "log_run": "_mlflow",
        "registered_bundle_path": "_mlflow",
        "save_pyfunc": "_mlflow",
        "evaluate_run": "_runs",
        "load_model": "_runs",
        "metrics_json": "_runs",
        "train_run": "_runs",
        "proportion_interval": "_sets",
        "MAX_BOOTSTRAP": "_sites",
        "check_bootstrap": "_sites",
        "TrainResult": "_train",
        "fingerprint": "_train",
        "train": "_train",
        "benchmark": "_benchmark",
        "benchmark_markdown": "_benchmark",
    },
)
