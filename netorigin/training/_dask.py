"""Scale out on Dask: partitioned synthetic cohorts, training with ``xgboost.dask``, batch scoring.

Dask and distributed are an optional extra (``pip install netorigin[dask]``) and are imported
only here, only when the engine is asked for. The result of training is the same kind of bundle
as single-process training, so it is saved, tracked and scored the same way.

Split: cases (patients, when a ``patient_id`` column exists) are assigned by a hash of their id,
so the assignment does not depend on how the cohort is partitioned: 10% test, 10% calibration
(temperature scaling and conformal thresholds), 80% training.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ._fields import SITES
from .exceptions import InputError

__all__ = ["synth_partitions", "parquet_parts", "train_dask", "score_partitions", "make_client"]


def _require_dask():
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise InputError("the dask engine needs the optional extra: pip install 'netorigin[dask]'") from None


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


def _synth_part(args):
    from .io import write_table
    from .synth import make_synthetic_cohort

    i, n, seed_state, scenario, out, workup, label_noise = args
    cohort = make_synthetic_cohort(n, scenario=scenario, random_state=np.random.RandomState(seed_state),
                                   workup=workup, label_noise=label_noise, prefix=f"syn-p{i:05d}")
    write_table(cohort, Path(out) / f"part-{i:05d}.parquet")
    return len(cohort)


def synth_partitions(n: int, partitions: int, out_dir, *, scenario="liver-met-archive", seed: int = 0,
                     workers: int | None = None, workup="routine", label_noise: float = 0.0) -> list[Path]:
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
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, silence_logs=40)
    return Client(cluster), cluster


def _fold(ids: pd.Series) -> np.ndarray:
    """0-9 from a stable hash of the id: 0 = test, 1 = calibration, 2-9 = training."""
    return (pd.util.hash_pandas_object(ids.astype(str), index=False).to_numpy() % 10).astype(int)


def _prepare(df: pd.DataFrame, features) -> pd.DataFrame:
    """Per partition: validate, build features, add label code and fold."""
    from .features import as_canonical
    from .models import site_codes

    table = as_canonical(df)
    table = table[table["primary_site"].notna()] if "primary_site" in table.columns else table.iloc[:0]
    X = features.transform(table)
    out = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])], index=table.index)
    out["_y"] = site_codes(table["primary_site"]) if len(table) else np.array([], dtype=int)
    gid = table["patient_id"] if "patient_id" in table.columns else table["case_id"]
    out["_fold"] = _fold(gid) if len(table) else np.array([], dtype=int)
    return out


def train_dask(path, *, scheduler: str | None = None, workers: int = 2, params: dict | None = None,
               random_state: int = 0, target_prior: str = "training", n_bootstrap: int = 200,
               description: str | None = None, name: str | None = None):
    """Train the xgboost site model on a partitioned Parquet cohort with ``xgboost.dask``.

    Returns a :class:`~netorigin.train.TrainResult` whose model is an ordinary SiteModel.
    """
    _require_dask()
    import dask.dataframe as dd
    import xgboost as xgb
    import xgboost.dask  # noqa: F401  (registers xgb.dask)

    from .bundle import SiteModel, _BoosterPredictor
    from .calibrate import ConformalSets, TemperatureScaling, resolve_prior
    from .evaluate import evaluate_site_model
    from .features import CaseFeatures, as_canonical
    from .models import XGBoostSiteClassifier
    from .profile import make_profile
    from .train import SCENARIO_PRIORS, TrainResult

    files = parquet_parts(path)
    if target_prior != "training":
        resolve_prior(target_prior)
    ddf = dd.read_parquet(files)
    head = as_canonical(pd.read_parquet(files[0]))
    if "primary_site" not in head.columns:
        raise InputError("primary_site: the cohort has no label column; training needs primary_site")
    features = CaseFeatures(dtype="float32").fit(head)  # tree features need only the columns
    n_feat = features.n_features_out_
    meta = pd.DataFrame({**{f"f{j}": pd.Series(dtype=float) for j in range(n_feat)},
                         "_y": pd.Series(dtype=int), "_fold": pd.Series(dtype=int)})
    client, cluster = make_client(scheduler, workers)
    try:
        prepared = ddf.map_partitions(_prepare, features, meta=meta).persist()
        counts = prepared.groupby(["_fold", "_y"]).size().compute()
        train = prepared[prepared["_fold"] >= 2]
        train_counts = counts[counts.index.get_level_values(0) >= 2].groupby(level=1).sum()
        few = [f"{s} ({int(train_counts.get(k, 0))})" for k, s in enumerate(SITES) if train_counts.get(k, 0) < 10]
        if few:
            raise InputError(f"primary_site: too few labelled cases of {', '.join(few)} for training")
        cols = [f"f{j}" for j in range(n_feat)]
        dtrain = xgb.dask.DaskDMatrix(client, train[cols].to_dask_array(lengths=True),
                                      train["_y"].to_dask_array(lengths=True), missing=np.nan)
        est = XGBoostSiteClassifier(**(params or {}), random_state=random_state)
        params_x = est._params(3)
        params_x.pop("nthread", None)
        out = xgb.dask.train(client, params_x, dtrain, num_boost_round=int(est.n_estimators))
        booster = out["booster"]
        cal = prepared[prepared["_fold"] == 1].compute()
        test_rows = ddf.map_partitions(_held_out, meta=head.iloc[:0]).compute()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    predictor = _BoosterPredictor(booster)
    y_cal = cal["_y"].to_numpy(dtype=int)
    margins = predictor.margins(cal[cols].to_numpy(dtype=float))
    calibration = TemperatureScaling().fit(margins, y_cal)
    train_prior = np.array([train_counts.get(k, 0) for k in range(3)], dtype=float)
    train_prior /= train_prior.sum()
    mixes = {n: resolve_prior(n)[1] for n in SCENARIO_PRIORS}
    if target_prior not in mixes and target_prior != "training":
        mixes[target_prior] = resolve_prior(target_prior)[1]
    conformal = ConformalSets().fit(calibration.proba(margins), y_cal, train_prior=train_prior, priors=mixes)
    test = as_canonical(test_rows).reset_index(drop=True)
    model = SiteModel(kind="xgboost", features=features, predictor=predictor, calibration=calibration,
                      conformal=conformal, train_prior=train_prior, target_prior=target_prior,
                      profile=make_profile(test))
    from .models import site_codes

    y_test = site_codes(test["primary_site"])
    metrics = {"split": {"train": int(train_counts.sum()), "calibration": int(len(cal)), "test": int(len(test))},
               "calibration": calibration.to_dict(),
               "test": evaluate_site_model(model, test, y_test, n_bootstrap=n_bootstrap, random_state=random_state)}
    model.metadata.update({
        "name": name or "netorigin-xgboost-dask", "engine": "dask", "random_state": random_state,
        "params": {k: v for k, v in (params or {}).items()},
        "training_data": {"description": description or f"partitioned parquet {path}",
                          "fingerprint": _files_fingerprint(files), "n_labelled": int(counts.sum()),
                          "n_train": int(train_counts.sum()), "n_test": int(len(test)),
                          "site_counts_train": {s: int(train_counts.get(k, 0)) for k, s in enumerate(SITES)}},
        "metrics": {f"test_{k}": metrics["test"]["calibrated"][k]
                    for k in ("accuracy", "balanced_accuracy", "macro_auc", "log_loss", "brier", "ece")},
    })
    return TrainResult(model=model, metrics=metrics)


def _files_fingerprint(files) -> str:
    import hashlib

    h = hashlib.sha256()
    for f in files:
        h.update(hashlib.sha256(Path(f).read_bytes()).digest())
    return h.hexdigest()


def _held_out(df: pd.DataFrame) -> pd.DataFrame:
    from .features import as_canonical

    table = as_canonical(df)
    if "primary_site" not in table.columns:
        return table.iloc[:0]
    table = table[table["primary_site"].notna()]
    gid = table["patient_id"] if "patient_id" in table.columns else table["case_id"]
    return table[_fold(gid) == 0]


def score_partitions(model_spec: str, path, out_dir, *, scheduler=None, workers: int = 2,
                     target_prior=None, coverage: float = 0.9) -> int:
    """Score every partition of a Parquet cohort on Dask; one output Parquet file per input."""
    _require_dask()
    import dask

    files = parquet_parts(path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    client, cluster = make_client(scheduler, workers)
    try:
        tasks = [dask.delayed(_score_file)(model_spec, f, str(out / Path(f).name), target_prior, coverage)
                 for f in files]
        counts = dask.compute(*tasks)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return int(sum(counts))


def _score_file(model_spec, src, dst, target_prior, coverage) -> int:
    from .io import load_cohort, write_table
    from .runs import load_model
    from .score import batch_table, score_cases

    model = load_model(model_spec)
    v = load_cohort(src)
    res = score_cases(model, v.table, notices=v.notices, target_prior=target_prior, coverage=coverage)
    t = batch_table(res, extra=v.table[v.extra_columns] if v.extra_columns else None)
    write_table(t, dst)
    return len(t)
