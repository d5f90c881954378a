"""``netorigin cohort describe``."""

import json

import click

from ._common import friendly, mapping_option


@click.group()
def cohort():
    """Work with cohort tables."""


@cohort.command("describe")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@mapping_option
@friendly
def describe(file, as_json, mapping):
    """A Table-1 style summary of the cohort in FILE (CSV or Parquet).

    Example: netorigin cohort describe data/seed_cohort.csv
    """
    from ..contract import describe_cohort
    from ..io import load_cohort
    from ._render import render_description

    validated = load_cohort(file, mapping=mapping)
    summary = describe_cohort(validated)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        render_description(file, validated, summary)


def register(main):
    main.add_command(cohort)
