"""Training: one ``train`` (engine ``local`` or ``dask``), the benchmark of every kind against
the exact posterior, and the Dask engine's partitioned synthesis and batch scoring."""

from ._benchmark import BENCHMARK_COLUMNS, benchmark, benchmark_markdown
from ._dask import output_names, parquet_parts, score_partitions, synth_partitions
from ._train import TrainResult, fingerprint, labelled_cases, train

__all__ = ["BENCHMARK_COLUMNS", "TrainResult", "benchmark", "benchmark_markdown", "fingerprint", "labelled_cases",
           "output_names", "parquet_parts", "score_partitions", "synth_partitions", "train"]
