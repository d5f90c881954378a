"""A tracked comparison: load the models, compare them on one labelled cohort, log one run."""

from __future__ import annotations

import time

from ..contract import SITES
from ._runs import _versions, load_model


def compare_run(
    model_specs,
    cohort,
    *,
    target_prior=None,
    n_bootstrap: int = 1000,
    random_state=0,
    tracking_uri=None,
    track: bool = True,
    description: str | None = None,
    data_params: dict | None = None,
) -> dict:
    """Compare saved models on a labelled cohort and log the comparison as one MLflow run.

    ``model_specs``: bundle folders, ``models:/NAME@ALIAS`` or ``runs:/ID/model`` (as ``evaluate``
    takes them). Unlabelled cases are set aside and counted (a notice); cases are resampled by
    ``patient_id`` when the cohort has it. Returns ``{"comparison", "notices", "tracking"}``.
    """
    from ..contract import as_canonical
    from ..exceptions import InputError
    from ._compare import compare_models
    from ._train import labelled_cases

    started = time.time()
    specs = [str(s) for s in model_specs]
    models = _load_models(specs, tracking_uri)
    table = as_canonical(cohort)
    if "primary_site" not in table.columns:
        raise InputError(
            "primary_site: the cohort has no label column; comparing models needs each case's site "
            "(ileal, pancreatic, other)"
        )
    table, y, groups, notices = labelled_cases(table, min_per_site=0)
    if not len(y):
        raise InputError("primary_site: no case of the cohort has a site; comparing models needs labelled cases")
    result = compare_models(
        models,
        table,
        target_prior=target_prior,
        n_bootstrap=n_bootstrap,
        random_state=random_state,
        groups=groups,
        names=specs,
    )
    summary = {"comparison": result, "notices": [n.message for n in notices]}
    if track:
        summary["tracking"] = _track_comparison(
            result,
            specs,
            table,
            started=started,
            description=description or "user cohort",
            data_params=data_params or {},
            tracking_uri=tracking_uri,
        )
    return summary


def _load_models(specs: list[str], tracking_uri) -> list:
    """Each model, or an error naming the one that cannot be read (as A, B, ... and as given)."""
    from ..exceptions import InputError

    if len(specs) < 2:
        raise InputError(
            f"models: {len(specs)} given ({', '.join(specs) or 'none'}); compare needs at least two "
            "(to evaluate one model: netorigin evaluate --model MODEL --data DATA)"
        )
    if len(specs) > 26:
        raise InputError(f"models: {len(specs)} given; at most 26 are compared at once (A to Z)")
    models = []
    for label, spec in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", specs):
        try:
            models.append(load_model(spec, tracking_uri))
        except InputError as e:
            raise InputError(f"model {label} ({spec}): {e}") from None
    return models


def _track_comparison(result, specs, table, *, started, description, data_params, tracking_uri) -> dict:
    """One run: each model's URI, registered version, bundle hash, kind and level; the data's
    description, counts and fingerprint (never a case); the setting; every paired difference and
    its interval as metrics; the full table as CSV and Markdown."""
    from ..io import neutralise_formulas
    from ._mlflow import dataset_entry, log_run, model_version
    from ._train import fingerprint

    params, tags = {}, {"netorigin.task": "compare"}
    for m, spec in zip(result.models, specs, strict=True):
        lab = m["label"]
        version = model_version(spec, tracking_uri)
        params.update(
            {
                f"model.{lab}.uri": spec,
                f"model.{lab}.name": m["name"],
                f"model.{lab}.bundle_hash": m["bundle_hash"],
                f"model.{lab}.kind": m["kind"],
                f"model.{lab}.level": m["level"],
                **{f"model.{lab}.registered_{k}": v for k, v in version.items()},
            }
        )
        tags[f"netorigin.bundle_hash.{lab}"] = str(m["bundle_hash"])
    counts = {f"n_{s}": n for s, n in result.site_counts.items()}
    mix = ",".join(f"{result.setting['mix'][s]:.6g}" for s in SITES)
    params.update(
        {
            "target_prior": result.setting["name"],
            "target_prior_mix": mix,
            "n_bootstrap": result.n_bootstrap,
            "random_state": result.random_state,
            "data.fingerprint": fingerprint(table),
            "data.description": description,
            "data.n_labelled": result.n,
            "data.n_patients": result.n_patients,
            **{f"data.{k}": v for k, v in counts.items()},
            **{f"data.{k}": v for k, v in data_params.items()},
            **_versions(),
        }
    )
    named = ", ".join(f"{m['label']} = {s}" for m, s in zip(result.models, specs))
    what = f"{named} on {description}"
    entry = dataset_entry(
        table,
        name=f"comparison: {description}"[:120],
        fingerprint=params["data.fingerprint"],
        context="evaluation",
        counts={"n_labelled": result.n, "n_patients": result.n_patients, **counts, **data_params},
    )
    csv = neutralise_formulas(result.table().astype(object))[0].to_csv(index=False)
    return log_run(
        run_name=f"compare {what}"[:200],
        params=params,
        metrics=result.metrics(),
        tags=tags,
        artifacts={"comparison.csv": csv.encode("utf-8"), "comparison.md": result.to_markdown().encode("utf-8")},
        tracking_uri=tracking_uri,
        started=started,
        description=f"Compared {what}, {result.n:,} labelled cases, prior {result.setting['name']}. "
        + " ".join(result.verdicts()),
        datasets=[entry],
    )
