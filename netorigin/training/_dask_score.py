"""Batch scoring of a partitioned cohort on Dask: one output Parquet file per input."""

from __future__ import annotations

import os
from pathlib import Path

from ..exceptions import InputError
from ._dask_partitions import _require_dask, check_partitions, make_client, parquet_parts


def score_partitions(
    bundle_path,
    path,
    out_dir,
    *,
    scheduler=None,
    workers: int = 2,
    target_prior=None,
    coverage: float = 0.9,
    progress=None,
) -> int:
    """Score every partition of a Parquet cohort on Dask; one output Parquet file per input.
    ``progress("scoring partitions", done, total)`` is called as each partition is written."""
    _require_dask()
    from distributed import as_completed

    files = parquet_parts(path)
    check_partitions(files)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tell = progress or (lambda *a: None)
    client, cluster = make_client(scheduler, workers)
    try:
        futures = [
            client.submit(_score_file, str(bundle_path), f, str(out / name), target_prior, coverage, pure=False)
            for f, name in zip(files, output_names(files))
        ]
        counts = []
        tell("scoring partitions", 0, len(futures))
        for done, fut in enumerate(as_completed(futures), start=1):
            counts.append(fut.result())
            tell("scoring partitions", done, len(futures))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return int(sum(counts))


def output_names(files) -> list[str]:
    """One output file name per input, from its path relative to the inputs' common folder, so
    that inputs from two folders that share a file name never write over each other.

    >>> output_names(["a/x/part-0.parquet", "a/y/part-0.parquet"])
    ['x__part-0.parquet', 'y__part-0.parquet']
    """
    paths = [Path(f).resolve() for f in files]
    root = Path(os.path.commonpath([str(p.parent) for p in paths]))
    names = ["__".join(p.relative_to(root).parts) for p in paths]
    if len(set(names)) != len(names):
        raise InputError("score: two input partitions would write the same output file")
    return names


def _score_file(bundle_path, src, dst, target_prior, coverage) -> int:
    from ..estimator import load_bundle
    from ..inference import score_cohort
    from ..io import load_cohort, write_table

    t = score_cohort(load_bundle(bundle_path), load_cohort(src), target_prior=target_prior, coverage=coverage)
    write_table(t, dst)
    return len(t)
