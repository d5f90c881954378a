"""Training: one ``train`` (engine ``local`` or ``dask``) and the benchmark of every kind against
the exact posterior."""

from ._benchmark import BENCHMARK_COLUMNS, benchmark, benchmark_markdown
from ._checks import calibration_summary, structure_fit
from ._train import TrainResult, fingerprint, labelled_cases, train

__all__ = [
    "BENCHMARK_COLUMNS",
    "TrainResult",
    "benchmark",
    "benchmark_markdown",
    "calibration_summary",
    "fingerprint",
    "labelled_cases",
    "structure_fit",
    "train",
]
