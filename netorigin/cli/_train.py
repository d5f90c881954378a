"""``netorigin train``."""

from pathlib import Path

import click

from ._common import (
    bootstrap_option,
    engine_options,
    friendly,
    mapping_option,
    progress_bar,
    report_set_aside,
    resolve_tracking_uri,
    set_aside_output,
    skip_invalid_options,
    tracking_options,
)


def _deprecated_model(ctx, param, value):
    if value is not None:
        click.echo("note: --model is deprecated for train; use --kind (the same choices)", err=True)
    return value


@click.command()
@click.option(
    "--data",
    "data",
    required=True,
    type=click.Path(),
    help="Labelled cohort (CSV/Parquet; with --engine dask a folder or glob of Parquet files).",
)
@click.option(
    "--kind",
    "kind",
    default=None,
    help=(
        "Model kind: latent-class (default; xgboost with --engine dask), latent-boost, xgboost, logistic, "
        "mlp, literature, rules."
    ),
)
@click.option(
    "--model",
    "old_kind",
    default=None,
    callback=_deprecated_model,
    expose_value=True,
    help="Deprecated spelling of --kind.",
)
@click.option(
    "--out",
    "out",
    default=None,
    type=click.Path(file_okay=False),
    help="Bundle folder to write (default: bundles/<bundle hash>/).",
)
@click.option(
    "--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True, help="Random seed (splits, model)."
)
@click.option(
    "--target-prior",
    default="training",
    show_default=True,
    help="Deployment prior: training, unknown-primary, liver-met-archive, population, or a,b,c.",
)
@click.option(
    "--bayes-scenario",
    default=None,
    help="For synthetic cohorts: report the exact Bayes posterior "
    "of this scenario on the same test cases (the ceiling).",
)
@click.option("--register", "register_name", default=None, help="Register the model under this name (alias champion).")
@bootstrap_option
@engine_options("local: one process; dask: xgboost.dask on a cluster, same bundle.")
@mapping_option
@skip_invalid_options
@tracking_options
@friendly
def train(
    data,
    kind,
    old_kind,
    out,
    seed,
    target_prior,
    bayes_scenario,
    register_name,
    n_bootstrap,
    engine,
    scheduler,
    workers,
    mapping,
    skip_invalid,
    set_aside,
    no_track,
    tracking_uri,
):
    """Train a site model on a labelled cohort, save the bundle, and track the run.

    Example: netorigin train --data cohort.csv --kind xgboost --out my-bundle --register my-model
    """
    # long: one parameter per command-line option, handed on unchanged to the library (a thin command)
    from ..exceptions import InputError
    from ..io import Output, plan_outputs
    from ..training import train_run
    from ._render import render_metrics

    if kind and old_kind and kind != old_kind:
        raise InputError(f"--kind {kind!r} and --model {old_kind!r} disagree; give --kind only")
    if register_name and no_track:
        raise click.UsageError("--register names the model in MLflow's registry, which --no-track never reaches")
    kind = kind or old_kind  # None: the default kind (xgboost with --engine dask)
    uri = resolve_tracking_uri(tracking_uri)
    aside = set_aside_output(data, skip_invalid, set_aside)
    plan_outputs(
        [Output("--out", out or "bundles", kind="bundle" if out else "folder"), aside], inputs=[data, mapping]
    )  # before any work: never after an hour of training
    common = dict(
        out_dir=out,
        bundles_root="bundles",
        kind=kind,
        engine=engine,
        random_state=seed,
        target_prior=target_prior,
        tracking_uri=uri,
        track=not no_track,
        register_name=register_name,
        n_bootstrap=n_bootstrap,
    )
    if engine == "dask":
        if mapping:
            raise click.UsageError("--engine dask reads contract columns; map the partitions first")
        with progress_bar("training on Dask") as step:
            summary = train_run(data, scheduler=scheduler, workers=workers, progress=step, **common)
        render_metrics(summary)
        return
    from ..io import load_cohort

    with progress_bar(f"reading {Path(data).name}"):
        v = load_cohort(data, mapping=mapping, skip_invalid=skip_invalid)
    line = report_set_aside(v, aside.path)
    if line:
        click.echo(line, err=True)
    counts = {"n_read": v.n_read, "n_set_aside": v.n_read - v.n_cases}
    with progress_bar("training") as step:
        summary = train_run(
            v.table,
            bayes_scenario=bayes_scenario,
            description=f"file {Path(data).name}",
            data_params=counts,
            progress=step,
            **common,
        )
    render_metrics(summary, v.notices)


def register(main):
    main.add_command(train)
