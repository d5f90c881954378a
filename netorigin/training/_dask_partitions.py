"""Partitioned cohorts: Parquet files written in parallel, checked to agree, and the Dask client."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import numpy as np
import pandas as pd

from .._extras import require
from ..exceptions import InputError


def _require_dask():
    require("dask", "dask")
    require("distributed", "dask")


def parquet_parts(path) -> list[str]:
    """The Parquet files of a partitioned cohort: a folder, a glob, or one file."""
    p = str(path)
    if os.path.isdir(p):
        files = sorted(glob.glob(os.path.join(p, "*.parquet")))
    elif any(ch in p for ch in "*?["):
        files = sorted(glob.glob(p))
    else:
        files = [p] if os.path.isfile(p) else []
    if not files:
        raise InputError(f"{p}: no Parquet files found (expected a folder of *.parquet, a glob, or a file)")
    return files


def check_partitions(files) -> None:
    """The partitions of one cohort must agree: the same columns in every file (a column absent
    from one partition would be read as "not done" there) and no case_id in two places (as the
    local path refuses duplicates). Checked from the files' schemas and id columns only."""
    import pyarrow.parquet as pq

    try:
        schemas = [set(pq.read_schema(f).names) - {"__index_level_0__"} for f in files]
    except Exception as e:  # pyarrow raises many types for a damaged file
        raise InputError(f"partitions: a file cannot be read as Parquet ({type(e).__name__}: {e})") from None
    first = schemas[0]
    for f, cols in zip(files[1:], schemas[1:]):
        if cols != first:
            missing, extra = sorted(first - cols), sorted(cols - first)
            raise InputError(
                f"{f}: its columns differ from {files[0]}'s"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; extra {', '.join(extra)}" if extra else "")
                + ": every partition of a cohort needs the same columns"
            )
    if "case_id" not in first:
        return
    seen: dict[str, str] = {}
    dups = []
    for f in files:
        ids = pd.read_parquet(f, columns=["case_id"])["case_id"].astype(str)
        if ids.duplicated().any():
            dups.append((ids[ids.duplicated()].iloc[0], f, f))
        for cid in ids:
            if cid in seen and seen[cid] != f:
                dups.append((cid, seen[cid], f))
                if len(dups) >= 5:
                    break
            seen.setdefault(cid, f)
        if len(dups) >= 5:
            break
    if dups:
        shown = "; ".join(f"{c!r} in {a} and {b}" for c, a, b in dups[:5])
        raise InputError(f"case_id: used more than once across the partitions ({shown}); case_ids must be unique")


def _synth_part(args):
    from ..io import write_table
    from ..literature import make_synthetic_cohort

    i, n, seed_state, scenario, out, workup, label_noise = args
    cohort = make_synthetic_cohort(
        n,
        scenario=scenario,
        random_state=np.random.RandomState(seed_state),
        workup=workup,
        label_noise=label_noise,
        prefix=f"syn-p{i:05d}",
    )
    write_table(cohort, Path(out) / f"part-{i:05d}.parquet")
    return len(cohort)


def synth_partitions(
    n: int,
    partitions: int,
    out_dir,
    *,
    scenario="liver-met-archive",
    seed: int = 0,
    workers: int | None = None,
    workup="routine",
    label_noise: float = 0.0,
) -> list[Path]:
    """Write ``n`` synthetic cases as ``partitions`` Parquet files, in parallel processes.

    Partition i is drawn from its own seed (spawned from ``seed``), so the same seed gives the
    same files whatever the number of workers.
    """
    from concurrent.futures import ProcessPoolExecutor

    if partitions < 1 or n < partitions:
        raise InputError(f"partitions: {partitions!r} must be between 1 and n ({n})")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stale = sorted(out.glob("part-*.parquet"))
    if stale:
        raise InputError(f"{out}: already holds {len(stale)} part-*.parquet files; choose an empty folder")
    sizes = [n // partitions + (1 if i < n % partitions else 0) for i in range(partitions)]
    seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(partitions)]
    jobs = [(i, sizes[i], seeds[i], scenario, str(out), workup, label_noise) for i in range(partitions)]
    with ProcessPoolExecutor(max_workers=workers or min(partitions, os.cpu_count() or 1)) as ex:
        list(ex.map(_synth_part, jobs))
    return [out / f"part-{i:05d}.parquet" for i in range(partitions)]


def make_client(scheduler: str | None = None, workers: int = 2):
    """A Dask client: to ``scheduler`` if given, else a LocalCluster of ``workers`` processes."""
    _require_dask()
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    )
    return Client(cluster), cluster
