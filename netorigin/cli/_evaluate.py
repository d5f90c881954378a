"""``netorigin evaluate``."""

import shlex
from pathlib import Path

import click

from ._common import (
    bootstrap_option,
    friendly,
    mapping_option,
    progress_bar,
    report_set_aside,
    resolve_tracking_uri,
    set_aside_output,
    skip_invalid_options,
    tracking_options,
)


@click.command()
@click.option(
    "--model",
    "model",
    required=True,
    multiple=True,
    help="Bundle folder, models:/NAME@ALIAS or runs:/ID/model (one: to compare several, use netorigin compare).",
)
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False), help="Labelled cohort (CSV/Parquet).")
@click.option(
    "--target-prior",
    default="training",
    show_default=True,
    help="Deployment prior the figures are computed under: training, a scenario name, or a,b,c.",
)
@click.option(
    "--bayes-scenario",
    default=None,
    help="For synthetic cohorts: also report the exact Bayes "
    "posterior of this scenario on the same cases and each figure's gap to it.",
)
@bootstrap_option
@click.option("--json", "as_json", is_flag=True, help="Print every figure as JSON.")
@mapping_option
@skip_invalid_options
@tracking_options
@friendly
def evaluate(
    model,
    data,
    target_prior,
    bayes_scenario,
    n_bootstrap,
    as_json,
    mapping,
    skip_invalid,
    set_aside,
    no_track,
    tracking_uri,
):
    """Evaluate a saved model on a labelled cohort (external validation), tracked.

    Example: netorigin evaluate --model models:/my-model@champion --data external.csv
    """
    from ..io import load_cohort, plan_outputs

    model = _one_model(model, data)
    from ..training import evaluate_run, metrics_json
    from ._render import render_evaluation, render_run

    aside = set_aside_output(data, skip_invalid, set_aside)
    plan_outputs([aside], inputs=[data, mapping])
    with progress_bar(f"reading {Path(data).name}"):
        v = load_cohort(data, mapping=mapping, skip_invalid=skip_invalid)
    line = report_set_aside(v, aside.path)
    if line:
        click.echo(line, err=True)
    with progress_bar("evaluating (bootstrap intervals)"):
        summary = evaluate_run(
            model,
            v.table,
            target_prior=target_prior,
            bayes_scenario=bayes_scenario,
            tracking_uri=resolve_tracking_uri(tracking_uri),
            track=not no_track,
            n_bootstrap=n_bootstrap,
            description=f"file {Path(data).name}",
            data_params={"n_read": v.n_read, "n_set_aside": v.n_read - v.n_cases},
        )
    if as_json:
        click.echo(metrics_json({**summary["metrics"], "run_id": (summary.get("tracking") or {}).get("run_id")}))
    else:
        render_evaluation(summary)
        render_run(summary)


def _one_model(models: tuple, data) -> str:
    """The one model evaluated; several are refused with the compare command that takes them
    (click would otherwise keep the last --model silently)."""
    if len(models) > 1:
        raise click.UsageError(
            f"evaluate takes one --model; {len(models)} were given. To compare models on the same cases "
            f"(paired differences with intervals): {shlex.join(['netorigin', 'compare', *models, '--data', data])}"
        )
    return models[0]


def register(main):
    main.add_command(evaluate)
