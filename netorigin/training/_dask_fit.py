"""The Dask engine's part of training: data access and the distributed booster fit. Split: cases
(patients, when a ``patient_id`` column exists) are assigned by a hash of their id, so the
assignment does not depend on how the cohort is partitioned: 10% test, 10% calibration
(temperature scaling and conformal thresholds), 80% training. The calibration, priors, sets,
profile and metadata come from the same code as local training (``SiteModel._finish_fit``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..contract import FIELDS, PROCEDURE_FIELDS, SITE_DETAILS, SITES, as_canonical, column_codes
from ..estimator import MIN_PER_SITE, choose_labels
from ..exceptions import InputError
from ..io import finish_profile, informative_counts, merge_partials, profile_partial
from ..models import (
    ADVICE_CV_MAX,
    ADVICE_MAX,
    LEVELS,
    SiteClassifier,
    label_codes,
    make_model,
    pipeline_from_parts,
    site_codes,
)
from ._dask_partitions import _require_dask, check_partitions, make_client, parquet_parts


def _hash(ids: pd.Series) -> np.ndarray:
    """A stable hash of each id (the same whatever the partitioning)."""
    return pd.util.hash_pandas_object(ids.astype(str), index=False).to_numpy()


def _fold(ids: pd.Series) -> np.ndarray:
    """0-9 from a stable hash of the id: 0 = test, 1 = calibration, 2-9 = training."""
    return (_hash(ids) % 10).astype(int)


def _labelled(df: pd.DataFrame) -> pd.DataFrame:
    table = as_canonical(df)
    return table[table["primary_site"].notna()] if "primary_site" in table.columns else table.iloc[:0]


def _groups(table: pd.DataFrame) -> pd.Series:
    return table["patient_id"] if "patient_id" in table.columns else table["case_id"]


def _prepare(df: pd.DataFrame, features) -> pd.DataFrame:
    """Per partition: validate, build features, add the site code, the sub-site code (-1 when a
    case has no primary_site_detail) and the fold."""
    table = _labelled(df)
    X = features.transform(table)
    out = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])], index=table.index)
    n = len(table)
    out["_site"] = site_codes(table["primary_site"]) if n else np.array([], dtype=int)
    detail = table["primary_site_detail"] if "primary_site_detail" in table.columns else pd.Series([None] * n)
    has = detail.notna().to_numpy()
    codes = np.full(n, -1)
    if has.any():
        codes[has] = label_codes(detail[has].astype(object), "subsite")
    out["_detail"] = codes
    out["_fold"] = _fold(_groups(table)) if n else np.array([], dtype=int)
    out["_n_fields"] = informative_counts(table) if n else np.array([], dtype=int)
    for f in PROCEDURE_FIELDS:  # the procedures, read as evidence when the sets are fitted
        codes = column_codes(table, f) if n else None
        out[f"_{f}"] = codes if codes is not None else np.full(n, -1)
    return out


def _procedures(cal: pd.DataFrame) -> pd.DataFrame:
    """The procedures of the calibration rows as canonical category columns."""
    return pd.DataFrame(
        {
            f: pd.Categorical.from_codes(cal[f"_{f}"].to_numpy(dtype=int), categories=list(FIELDS[f].values))
            for f in PROCEDURE_FIELDS
        }
    )


def _target(df: pd.DataFrame, column: str, vocab: np.ndarray, remap=None) -> pd.Series:
    """The booster's class index of each row: the position of its label code (after ``remap``, the
    merge of rare sub-sites) in ``vocab``."""
    codes = df[column].to_numpy(dtype=int)
    return pd.Series(np.searchsorted(vocab, codes if remap is None else remap[codes]), index=df.index)


def _profile_part(df: pd.DataFrame) -> dict:
    """Per partition: the training rows' profile aggregates (they add up across partitions)."""
    table = _labelled(df)
    return profile_partial(table[_fold(_groups(table)) >= 2] if len(table) else table)


def _held_out(df: pd.DataFrame) -> pd.DataFrame:
    table = _labelled(df)
    return table[_fold(_groups(table)) == 0] if len(table) else table


def _advice_part(df: pd.DataFrame, share: float) -> pd.DataFrame:
    """Per partition: the training cases whose id hashes into the first ``share`` (the cases the
    advice's cells are fitted to; the same cases however the cohort is partitioned)."""
    table = _labelled(df)
    if not len(table):
        return table
    h = _hash(_groups(table))
    training = (h % 10).astype(int) >= 2  # the folds of _fold
    return table[training & ((h // 10 % 1_000_000) < share * 1_000_000)]


def _label_plan(model, counts: pd.Series) -> dict:
    """The labels the booster learns, by the rule local training uses (:func:`choose_labels`),
    from the (fold, site, sub-site) counts of the cohort."""
    in_train = counts.index.get_level_values(0) >= 2
    site_counts_train = counts[in_train].groupby(level=1).sum()
    few = [
        f"{s} ({int(site_counts_train.get(k, 0))})"
        for k, s in enumerate(SITES)
        if site_counts_train.get(k, 0) < MIN_PER_SITE
    ]
    if few:
        raise InputError(
            f"primary_site: too few labelled cases of {', '.join(few)}; training needs at least "
            f"{MIN_PER_SITE} of every site"
        )
    detail_train = counts[in_train].groupby(level=2).sum()
    detail_counts = {SITE_DETAILS[int(c)]: int(n) for c, n in detail_train.items() if c >= 0}
    level, merge, notices = choose_labels(
        model.kind, model.level, detail_counts, int(detail_train.get(-1, 0)), int(detail_train.sum())
    )
    # the label code of every row: its site, or its sub-site counted as the rule says
    code_of = np.arange(len(SITE_DETAILS))
    for lab, into in merge.items():
        code_of[SITE_DETAILS.index(lab)] = SITE_DETAILS.index(into)
    label_counts = counts[in_train].groupby(level=2 if level == "subsite" else 1).sum()
    if level == "subsite":
        label_counts = label_counts.groupby(code_of[label_counts.index.to_numpy()]).sum()
    return {
        "level": level,
        "notices": notices,
        "column": "_detail" if level == "subsite" else "_site",
        "remap": code_of if level == "subsite" else None,
        "label_counts": label_counts,
        "vocab": np.sort(label_counts.index.to_numpy()),
        "site_counts_train": site_counts_train,
    }


def _meta(n_feat: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            **{f"f{j}": pd.Series(dtype=float) for j in range(n_feat)},
            "_site": pd.Series(dtype=int),
            "_detail": pd.Series(dtype=int),
            "_fold": pd.Series(dtype=int),
            "_n_fields": pd.Series(dtype=int),
            **{f"_{f}": pd.Series(dtype=int) for f in PROCEDURE_FIELDS},
        }
    )


def _fit_on_cluster(client, ddf, features, pipe, model, head, progress) -> dict:
    """Everything that needs the cluster: the label plan, the booster, the calibration rows, the
    profile's partial aggregates, the test cases and the advice's sample of training cases."""
    import dask
    import xgboost as xgb
    import xgboost.dask  # noqa: F401  (registers xgb.dask)

    prepared = ddf.map_partitions(_prepare, features, meta=_meta(features.n_features_out_)).persist()
    counts = prepared.groupby(["_fold", "_site", "_detail"]).size().compute()
    plan = _label_plan(model, counts)
    train = prepared[prepared["_fold"] >= 2]
    cols = [f"f{j}" for j in range(features.n_features_out_)]
    y_train = train.map_partitions(_target, plan["column"], plan["vocab"], plan["remap"], meta=(None, int))
    dtrain = xgb.dask.DaskDMatrix(
        client, train[cols].to_dask_array(lengths=True), y_train.to_dask_array(lengths=True), missing=np.nan
    )
    clf = pipe.named_steps["classifier"].estimator
    params_x = clf.booster_params(len(plan["vocab"]))
    params_x.pop("nthread", None)
    if progress is not None:
        progress(f"training {clf.n_estimators} rounds on the cluster", None, None)
    plan["booster"] = xgb.dask.train(client, params_x, dtrain, num_boost_round=int(clf.n_estimators))["booster"]
    plan["cal"] = prepared[prepared["_fold"] == 1].compute()
    plan["partials"] = dask.compute(*[dask.delayed(_profile_part)(part) for part in ddf.to_delayed()])
    plan["test"] = as_canonical(ddf.map_partitions(_held_out, meta=head.iloc[:0]).compute()).reset_index(drop=True)
    n_train = int(plan["site_counts_train"].sum())
    # the training cases the advice's cells are fitted to: every one, or (as local training
    # samples) a share drawn by a hash of the case id, a little under the sample's size
    plan["advice_share"] = 1.0 if n_train <= ADVICE_CV_MAX else 0.98 * ADVICE_MAX / n_train
    advice = ddf.map_partitions(_advice_part, plan["advice_share"], meta=head.iloc[:0]).compute()
    plan["advice"] = as_canonical(advice).reset_index(drop=True)
    plan.update(counts=counts, n_train=n_train)
    return plan


def fit_dask(model, path, *, scheduler: str | None = None, workers: int = 2, progress=None):
    """The Dask engine: data access and the distributed booster fit; the rest is
    ``SiteModel._finish_fit``, the one way training ends in both engines.

    Returns ``(model, test table, test labels, test groups, training-data description, training
    cases)``: the last, the sample of training cases the advice's cells are fitted to (the cases
    training's checks of the cohort read, as local training reads its cohort).
    """
    _require_dask()
    import dask.dataframe as dd

    files = parquet_parts(path)
    check_partitions(files)
    ddf = dd.read_parquet(files)
    head = as_canonical(pd.read_parquet(files[0]))
    if "primary_site" not in head.columns:
        raise InputError("primary_site: the cohort has no label column; training needs primary_site")
    pipe = make_model("xgboost", random_state=model.random_state, **(model.params or {}))
    features = pipe.named_steps["features"].fit(head)  # tree features need only the columns
    client, cluster = make_client(scheduler, workers)
    try:
        plan = _fit_on_cluster(client, ddf, features, pipe, model, head, progress)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    clf = pipe.named_steps["classifier"].estimator
    clf.adopt(plan["booster"])  # classes and features from the booster itself
    vocab, cal, remap = plan["vocab"], plan["cal"], plan["remap"]
    estimator = pipeline_from_parts(
        features, SiteClassifier.fitted(clf, np.array(LEVELS[plan["level"]], dtype=object)[vocab])
    )
    cal_codes = cal[plan["column"]].to_numpy(dtype=int)
    y_cal = np.searchsorted(vocab, cal_codes if remap is None else remap[cal_codes])
    margins = estimator[-1].label_margins(
        cal[[f"f{j}" for j in range(features.n_features_out_)]].to_numpy(dtype=np.float32)
    )
    train_prior = plan["label_counts"].reindex(vocab).to_numpy(dtype=float)
    advice, n_fields = plan["advice"], cal["_n_fields"].to_numpy(dtype=int)
    model._finish_fit(  # the one way training ends, as in local training
        estimator,
        margins,
        y_cal,
        fold=np.zeros(len(y_cal), dtype=int),
        train_prior=train_prior / train_prior.sum(),
        profile=finish_profile(merge_partials(list(plan["partials"]))),
        n_fields=n_fields,
        design="10% hold-out for calibration (Dask)",
        notices=plan["notices"],
        advice=(advice, advice["primary_site"], plan["n_train"], None),
        held_out=_procedures(cal),
    )
    return (
        model,
        plan["test"],
        site_codes(plan["test"]["primary_site"]),
        _groups(plan["test"]).astype(str).to_numpy(),
        _describe(files, plan, len(cal)),
        advice,
    )


def _describe(files, plan: dict, n_cal: int) -> dict:
    """The training data's description (counts and a fingerprint of the files; no case rows)."""
    counts, train_counts = plan["counts"], plan["site_counts_train"]
    site_counts = counts.groupby(level=1).sum()
    return {
        "fingerprint": _files_fingerprint(files),
        "n_labelled": int(counts.sum()),
        "site_counts": {s: int(site_counts.get(k, 0)) for k, s in enumerate(SITES)},
        "n_train": int(train_counts.sum()),
        "n_calibration": int(n_cal),
        "n_test": int(len(plan["test"])),
        "site_counts_train": {s: int(train_counts.get(k, 0)) for k, s in enumerate(SITES)},
        "engine": "dask",
    }


def _files_fingerprint(files) -> str:
    import hashlib

    h = hashlib.sha256()
    for f in files:
        h.update(hashlib.sha256(Path(f).read_bytes()).digest())
    return h.hexdigest()
