"""The ``netorigin`` command line. Thin: parse arguments, call one library function, render.

Bad input exits with code 2 and a message naming the field, the value and what was expected,
never a traceback.
"""

from __future__ import annotations

import functools
import json
import sys

import click

from .. import __version__
from ..exceptions import NetoriginError

NOTICE = "For research use only; not a medical device."


def _mapping_option(fn):
    return click.option("--mapping", type=click.Path(dir_okay=False), default=None,
                        help="YAML mapping from your cohort's columns and values to the contract "
                        "(draft one with `netorigin map suggest`).")(fn)


def _friendly(fn):
    """Turn netorigin's own errors into a message on stderr and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except NetoriginError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(2)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="netorigin")
def main():
    """netorigin: predict the primary site (ileal, pancreatic, other) of a well-differentiated
    neuroendocrine tumour found as liver metastases. For research use only; not a medical device."""


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--as", "kind", type=click.Choice(["auto", "case", "cohort"]), default="auto",
              show_default=True, help="Read FILE as one case or as a cohort (auto: YAML/JSON and "
              "one-row CSV without case_id are cases).")
@_mapping_option
@_friendly
def validate(file, kind, mapping):
    """Check FILE against the case contract: OK with counts, or every problem (exit 2)."""
    from ..io import load_cases
    from ._render import render_validation

    render_validation(file, load_cases(file, kind=kind, mapping=mapping))


@main.command()
def template():
    """Print a commented YAML case with every field and its allowed values."""
    from ..template import make_case_template

    click.echo(make_case_template(), nl=False)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["markdown", "json-schema", "csv"]), default="markdown",
              show_default=True)
def schema(fmt):
    """Print the case contract: fields, accepted values, units and synonyms."""
    from ..template import contract_csv, contract_json_schema, contract_markdown

    if fmt == "json-schema":
        click.echo(json.dumps(contract_json_schema(), indent=2))
    elif fmt == "csv":
        click.echo(contract_csv(), nl=False)
    else:
        click.echo(contract_markdown(), nl=False)


@main.group(name="map")
def map_group():
    """Map your cohort's columns and values to the case contract."""


@map_group.command("suggest")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the draft here (default: print).")
@_friendly
def map_suggest(file, output):
    """Draft a mapping for FILE; every guess is marked for a person to confirm."""
    from ..io import read_table
    from ..mapping import suggest_mapping

    text = suggest_mapping(read_table(file), source=file)
    if output:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
        click.echo(f"wrote a draft mapping to {output}: confirm the lines marked GUESS and UNPLACED")
    else:
        click.echo(text, nl=False)


@main.group()
def cohort():
    """Work with cohort tables."""


@cohort.command("describe")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@_mapping_option
@_friendly
def describe(file, as_json, mapping):
    """A Table-1 style summary of the cohort in FILE (CSV or Parquet)."""
    from ..describe import describe_cohort
    from ..io import load_cohort
    from ._render import render_description

    validated = load_cohort(file, mapping=mapping)
    summary = describe_cohort(validated)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        render_description(file, validated, summary)


@main.command()
@click.option("--n", "n", type=click.IntRange(min=1), default=None, help="Number of cases (with --check: "
              "cases per check cohort, default 1,000,000).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--scenario", default="liver-met-archive", show_default=True,
              help="Site mix: liver-met-archive, population, unknown-primary (or one in --scenarios).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Output file (.csv or .parquet).")
@click.option("--workup", default="routine", show_default=True,
              help="Which tests were done: routine, complete, or a work-up CSV file.")
@click.option("--label-noise", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--parameters", type=click.Path(dir_okay=False), help="Alternative parameters CSV.")
@click.option("--scenarios", type=click.Path(dir_okay=False), help="Alternative scenarios CSV.")
@click.option("--check", is_flag=True, help="Print every parameter beside its value measured in a "
              "large generated cohort (exit 1 if any is outside its tolerance).")
@click.option("--partitions", type=click.IntRange(min=1), default=None,
              help="Write -o DIR/ as this many Parquet files, generated in parallel.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes for --partitions.")
@_friendly
def synth(n, seed, scenario, output, workup, label_noise, parameters, scenarios, check, partitions, workers):
    """Generate a literature-calibrated synthetic cohort (or --check the parameters)."""
    from ..synth import SyntheticModel, make_synthetic_cohort
    from ._render import render_check, render_synth

    model = SyntheticModel(parameters, scenarios)
    if check:
        from ..synth._check import check_parameters

        table = check_parameters(scenario, n=n or 1_000_000, random_state=seed, model=model)
        render_check(scenario, table)
        sys.exit(0 if table["ok"].all() else 1)
    if not output:
        raise click.UsageError("give -o FILE (.csv or .parquet), or --check")
    if n is None:
        raise click.UsageError("give --n N, the number of cases")
    from ..exceptions import InputError
    from ..io import write_table

    if partitions:
        if parameters or scenarios:
            raise click.UsageError("--partitions uses the bundled parameter files")
        from ..distributed import synth_partitions

        files = synth_partitions(n, partitions, output, scenario=scenario, seed=seed, workers=workers,
                                 workup=workup, label_noise=label_noise)
        click.echo(f"wrote {n:,} synthetic cases to {output} as {len(files)} Parquet files "
                   f"(scenario {scenario}, seed {seed})")
        return

    if not output.lower().endswith((".csv", ".parquet", ".pq", ".tsv")):
        raise InputError(f"{output}: unknown output format; expected .csv or .parquet")
    cohort = make_synthetic_cohort(n, scenario=scenario, random_state=seed, workup=workup,
                                   label_noise=label_noise, model=model)
    write_table(cohort, output)
    render_synth(output, scenario, seed, cohort)


def _tracking_options(fn):
    fn = click.option("--tracking-uri", default=None, help="MLflow tracking URI (default: "
                      "MLFLOW_TRACKING_URI, else sqlite in ./mlruns).")(fn)
    fn = click.option("--no-track", is_flag=True, help="Do not log to MLflow.")(fn)
    return fn


@main.command()
@click.option("--data", "data", required=True, type=click.Path(), help="Labelled cohort (CSV/Parquet; "
              "with --engine dask a folder or glob of Parquet files).")
@click.option("--model", "kind", default="xgboost", show_default=True,
              type=click.Choice(["xgboost", "logistic", "mlp", "literature", "rules"]))
@click.option("--out", "out", default=None, type=click.Path(file_okay=False),
              help="Bundle folder to write (default: bundles/<bundle hash>/).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--target-prior", default="training", show_default=True,
              help="Deployment prior: training, unknown-primary, liver-met-archive, population, or a,b,c.")
@click.option("--bayes-scenario", default=None, help="For synthetic cohorts: report the Bayes ceiling.")
@click.option("--register", "register", default=None, help="Register the model under this name.")
@click.option("--bootstrap", "n_bootstrap", type=click.IntRange(min=0), default=200, show_default=True)
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", default=None, help="Dask scheduler address (default: a LocalCluster).")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True, help="LocalCluster workers.")
@_mapping_option
@_tracking_options
@_friendly
def train(data, kind, out, seed, target_prior, bayes_scenario, register, n_bootstrap, engine, scheduler, workers,
          mapping, tracking_uri, no_track):
    """Train a site model on a labelled cohort, save the bundle, and track the run."""
    from ..io import load_cohort
    from ..runs import train_dask_run, train_run
    from ._render import render_metrics

    if engine == "dask":
        if kind != "xgboost":
            raise click.UsageError("--engine dask trains the xgboost model only")
        if mapping:
            raise click.UsageError("--engine dask reads contract columns; map the partitions first")
        summary = train_dask_run(data, out_dir=out, scheduler=scheduler, workers=workers, random_state=seed,
                                 target_prior=target_prior, tracking_uri=tracking_uri, track=not no_track,
                                 register_name=register, n_bootstrap=n_bootstrap)
        render_metrics(summary)
        return
    v = load_cohort(data, mapping=mapping)
    summary = train_run(v.table, kind=kind, out_dir=out, random_state=seed, target_prior=target_prior,
                        bayes_scenario=bayes_scenario, tracking_uri=tracking_uri, track=not no_track,
                        register_name=register, description=f"file {data}", n_bootstrap=n_bootstrap)
    render_metrics(summary, v.notices)


@main.command()
@click.option("--model", "model", required=True, help="Bundle folder, models:/NAME@ALIAS or runs:/ID/model.")
@click.option("--data", "data", required=True, type=click.Path(dir_okay=False), help="Labelled cohort.")
@click.option("--target-prior", default="training", show_default=True)
@click.option("--bayes-scenario", default=None)
@click.option("--bootstrap", "n_bootstrap", type=click.IntRange(min=0), default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@_mapping_option
@_tracking_options
@_friendly
def evaluate(model, data, target_prior, bayes_scenario, n_bootstrap, as_json, mapping, tracking_uri, no_track):
    """Evaluate a saved model on a labelled cohort (external validation), tracked."""
    from ..io import load_cohort
    from ..runs import evaluate_run, metrics_json
    from ._render import render_evaluation

    v = load_cohort(data, mapping=mapping)
    summary = evaluate_run(model, v.table, target_prior=target_prior, bayes_scenario=bayes_scenario,
                           tracking_uri=tracking_uri, track=not no_track, n_bootstrap=n_bootstrap,
                           description=f"file {data}")
    if as_json:
        click.echo(metrics_json(summary["metrics"]))
    else:
        render_evaluation(summary)


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@_tracking_options
@_friendly
def run(config, tracking_uri, no_track):
    """Run a pipeline config (pipelines/*.yaml), tracked in MLflow."""
    from ..pipelines import run_pipeline
    from ._render import render_pipeline

    render_pipeline(config, run_pipeline(config, tracking_uri=tracking_uri, track=not no_track))


@main.command()
@click.argument("case", type=click.Path())
@click.option("--model", "model_spec", default=None,
              help="Bundle folder, models:/NAME@ALIAS or runs:/ID/model (default: the shipped model).")
@click.option("--target-prior", default=None, help="Deployment prior (default: the model's, unknown-primary "
              "for the shipped one): unknown-primary, liver-met-archive, population, training, or a,b,c.")
@click.option("--coverage", type=click.FloatRange(0.5, 0.99), default=0.9, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (stable keys).")
@click.option("--plot", type=click.Path(dir_okay=False), help="Write a waterfall chart (PNG) of the explanation.")
@click.option("--report", type=click.Path(dir_okay=False), help="Write a self-contained HTML report.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="For a cohort: write one row per case (.csv/.parquet).")
@click.option("--as", "kind", type=click.Choice(["auto", "case", "cohort"]), default="auto", show_default=True)
@click.option("--tracking-uri", default=None, help="For models:/ and runs:/ models.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="dask: score a folder of Parquet partitions into -o DIR/.")
@click.option("--scheduler", default=None)
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True)
@_mapping_option
@_friendly
def score(case, model_spec, target_prior, coverage, as_json, plot, report, output, kind, tracking_uri, engine,
          scheduler, workers, mapping):
    """Score one case (YAML, JSON, one-row CSV) or a cohort: probabilities, set, reasons, next tests."""
    from ..io import load_cases
    from ..score import case_report, score_cases
    from ._render import render_case, render_cohort_scores

    if engine == "dask":
        from ..datasets import data_path
        from ..distributed import score_partitions

        if not output:
            raise click.UsageError("--engine dask writes one Parquet file per partition: give -o DIR/")
        n = score_partitions(model_spec or str(data_path("models", "default")), case, output, scheduler=scheduler,
                             workers=workers, target_prior=target_prior, coverage=coverage)
        click.echo(f"scored {n:,} cases -> {output}")
        return

    validated = load_cases(case, kind=kind, mapping=mapping)
    model = _load_model(model_spec, tracking_uri)
    if validated.n_cases > 1 or output:
        if plot or report:
            raise click.UsageError("--plot and --report are for one case; score a cohort with -o FILE")
        render_cohort_scores(model, validated, output=output, target_prior=target_prior, coverage=coverage,
                             as_json=as_json)
        return
    res = score_cases(model, validated.table, notices=validated.notices, target_prior=target_prior,
                      coverage=coverage)
    rep = case_report(res, 0)
    if plot or report:
        png = None
        if rep["explanation"] is not None:
            from ..plots import waterfall_png

            png = waterfall_png(rep)
        if plot:
            if png is None:
                raise click.UsageError(f"no explanation chart for a {model.kind} model")
            with open(plot, "wb") as f:
                f.write(png)
        if report:
            from ..report import html_report

            with open(report, "w", encoding="utf-8") as f:
                f.write(html_report(rep, png))
    if as_json:
        click.echo(json.dumps(rep, indent=2))
    else:
        render_case(rep)


def _load_model(spec, tracking_uri):
    from ..datasets import data_path
    from ..runs import load_model

    return load_model(spec or str(data_path("models", "default")), tracking_uri)


if __name__ == "__main__":  # pragma: no cover
    main()
