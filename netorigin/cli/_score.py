"""``netorigin score``."""

import json

import click

from ._common import (
    as_option,
    default_model,
    engine_options,
    friendly,
    mapping_option,
    model_option,
    progress_bar,
    report_set_aside,
    resolve_tracking_uri,
    set_aside_output,
    skip_invalid_options,
)


@click.command()
@click.argument("case", type=click.Path())
@model_option
@click.option(
    "--target-prior",
    default=None,
    help="Deployment prior (default: the model's, unknown-primary "
    "for the shipped one): unknown-primary, liver-met-archive, population, training, or a,b,c.",
)
@click.option(
    "--coverage",
    type=click.FloatRange(0.5, 0.99),
    default=0.9,
    show_default=True,
    help="Level of the prediction set (0.50-0.99 in steps of 0.01).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (stable keys).")
@click.option(
    "--all-priors",
    is_flag=True,
    help="Also show the probabilities under every named prior (--json always includes them).",
)
@click.option("--plot", type=click.Path(dir_okay=False), help="Write a waterfall chart (PNG) of the explanation.")
@click.option("--report", type=click.Path(dir_okay=False), help="Write a self-contained HTML report (.html).")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="For a cohort: write one row per case (.csv/.parquet)."
)
@as_option("CASE")
@click.option("--tracking-uri", default=None, help="MLflow tracking URI for models:/ and runs:/ models.")
@engine_options("dask: score a folder of Parquet partitions into -o DIR/.")
@click.option(
    "--panel",
    type=click.Choice(["0", "2", "3"]),
    default="2",
    show_default=True,
    callback=lambda ctx, param, value: int(value),
    help="Also recommend the best panel of this many tests ordered together (2 or 3; 0: none).",
)
@click.option(
    "--tests",
    "tests_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Your lab's test table (columns as data/tests.csv: test, available, cost, turnaround_days, "
    "status, source); unavailable tests are never suggested.",
)
@click.option("--per-cost", is_flag=True, help="Rank tests by expected information per unit of cost.")
@click.option(
    "--score-anyway",
    is_flag=True,
    help="Score a case outside the intended use (a poorly differentiated "
    "carcinoma) anyway, with that warning on top. Without it such a case exits with code 3, unscored.",
)
@mapping_option
@skip_invalid_options
@friendly
def score(
    case,
    model_spec,
    target_prior,
    coverage,
    as_json,
    all_priors,
    plot,
    report,
    output,
    kind,
    tracking_uri,
    engine,
    scheduler,
    workers,
    panel,
    tests_file,
    per_cost,
    score_anyway,
    mapping,
    skip_invalid,
    set_aside,
):
    """Score one case (YAML, JSON, one-row CSV) or a cohort: probabilities, set, reasons, next tests.

    Example: netorigin score data/examples/example_case.yaml

    Exit codes: 0 scored; 2 bad input (the message names the field, the value and what was
    expected); 3 one case outside the intended use, not scored (see --score-anyway).
    """
    # long: one parameter per command-line option, handed on unchanged to the library (a thin command)
    from ._render_scores import render_case, render_cohort_scores

    uri = resolve_tracking_uri(tracking_uri)
    model = model_spec or default_model()
    aside = set_aside_output(case, skip_invalid, set_aside)
    if engine == "dask":
        from ..app import score_dask

        if not output:
            raise click.UsageError("--engine dask writes one Parquet file per partition: give -o DIR/")
        with progress_bar("scoring partitions on Dask") as step:
            n = score_dask(
                case,
                output,
                model=model,
                tracking_uri=uri,
                target_prior=target_prior,
                coverage=coverage,
                scheduler=scheduler,
                workers=workers,
                progress=step,
            )
        click.echo(f"scored {n:,} cases -> {output}")
        return
    from ..app import score_path

    with progress_bar("scoring") as step:
        out = score_path(
            case,
            progress=step,
            model=model,
            tracking_uri=uri,
            as_kind=kind,
            mapping=mapping,
            target_prior=target_prior,
            coverage=coverage,
            output=output,
            plot=plot,
            report=report,
            panel=panel,
            tests=tests_file,
            per_cost=per_cost,
            score_anyway=score_anyway,
            skip_invalid=skip_invalid,
            set_aside=aside.path,
        )
    if out.report is None:
        render_cohort_scores(out, coverage=coverage, as_json=as_json)
        line = report_set_aside(out.validated, aside.path) if out.validated is not None else None
        if line:
            click.echo(line, err=as_json)
    elif as_json:
        click.echo(json.dumps(out.report, indent=2))
    else:
        render_case(out.report, all_priors=all_priors)


def register(main):
    main.add_command(score)
