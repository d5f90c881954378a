"""``netorigin compare``."""

import shlex
from pathlib import Path

import click

from ._common import (
    friendly,
    mapping_option,
    model_input,
    progress_bar,
    report_set_aside,
    resolve_tracking_uri,
    set_aside_output,
    skip_invalid_options,
    tracking_options,
)


@click.command()
@click.argument("models", nargs=-1, required=True, metavar="MODEL_A MODEL_B [MODEL_C ...]")
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False), help="Labelled cohort (CSV/Parquet).")
@click.option(
    "--target-prior",
    default=None,
    help="The one deployment prior every model scores under: a scenario name or a,b,c "
    "(default, or training: the first model's training mix of sites).",
)
@click.option(
    "--bootstrap",
    "n_bootstrap",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Bootstrap resamples of patients for the paired 95% intervals.",
)
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True, help="Seed of the bootstrap.")
@click.option("--json", "as_json", is_flag=True, help="Print every figure as JSON.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), default=None, help="Also write the full table (.csv or .md)."
)
@mapping_option
@skip_invalid_options
@tracking_options
@friendly
def compare(
    models,
    data,
    target_prior,
    n_bootstrap,
    seed,
    as_json,
    output,
    mapping,
    skip_invalid,
    set_aside,
    no_track,
    tracking_uri,
):
    """Compare saved models on the same labelled cases, tracked: B minus A (and C minus A, ...)
    of log-loss, accuracy, Brier score and ECE, with paired bootstrap intervals over patients,
    on all cases, per site and per number of informative fields recorded.

    Each MODEL is a bundle folder, models:/NAME@ALIAS or runs:/ID/model.

    Example: netorigin compare models:/my-model@champion bundles/xgb --data external.csv
    """
    from ..io import Output, load_cohort, plan_outputs, write_bytes_atomic
    from ..training import compare_run, metrics_json
    from ._render import render_run
    from ._render_compare import render_comparison

    if len(models) < 2:
        raise click.UsageError(
            f"compare needs at least two models; got one ({models[0]}). To evaluate one model: "
            + shlex.join(["netorigin", "evaluate", "--model", models[0], "--data", data])
        )
    aside = set_aside_output(data, skip_invalid, set_aside)
    out = Output("-o", output, suffixes=(".csv", ".md")) if output else Output("-o", None)
    plan_outputs([aside, out], inputs=[data, mapping, *(model_input(m) for m in models)])
    with progress_bar(f"reading {Path(data).name}"):
        v = load_cohort(data, mapping=mapping, skip_invalid=skip_invalid)
    line = report_set_aside(v, aside.path)
    if line:
        click.echo(line, err=True)
    with progress_bar("scoring and comparing (paired bootstrap)"):
        summary = compare_run(
            models,
            v.table,
            target_prior=target_prior,
            n_bootstrap=n_bootstrap,
            random_state=seed,
            tracking_uri=resolve_tracking_uri(tracking_uri),
            track=not no_track,
            description=f"file {Path(data).name}",
            data_params={"n_read": v.n_read, "n_set_aside": v.n_read - v.n_cases},
        )
    result = summary["comparison"]
    if output:
        if Path(output).suffix.lower() == ".md":
            write_bytes_atomic(output, result.to_markdown().encode("utf-8"))
        else:
            from ..io import write_table

            write_table(result.table(), output)
    if as_json:
        run_id = (summary.get("tracking") or {}).get("run_id")
        click.echo(metrics_json({**result.to_dict(), "notices": summary["notices"], "run_id": run_id}))
        return
    render_comparison(result, summary["notices"])
    if output:
        click.echo(f"table -> {output}")
    render_run(summary)


def register(main):
    main.add_command(compare)
