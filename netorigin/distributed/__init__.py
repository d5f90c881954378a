"""The Dask engine (``pip install 'netorigin[dask]'``; dask and distributed are imported only inside
the functions that use them): partitioned synthetic cohorts, the distributed booster fit behind
``train(engine="dask")``, and batch scoring over partitions. A Dask-trained model is the same kind
of bundle as a local one, saved, tracked and scored the same way."""

from ._fit import fit_dask
from ._partitions import check_partitions, make_client, parquet_parts, synth_partitions
from ._score import output_names, score_partitions

__all__ = [
    "check_partitions",
    "fit_dask",
    "make_client",
    "output_names",
    "parquet_parts",
    "score_partitions",
    "synth_partitions",
]
