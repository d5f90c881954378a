"""``netorigin validate``."""

import click

from ._common import (
    as_option,
    friendly,
    mapping_option,
    progress_bar,
    report_set_aside,
    set_aside_output,
    skip_invalid_options,
)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@as_option("FILE")
@mapping_option
@skip_invalid_options
@click.option(
    "--verbose", is_flag=True, help="List every row each warning concerns (by default: the count and the first five)."
)
@friendly
def validate(file, kind, mapping, skip_invalid, set_aside, verbose):
    """Check FILE against the case contract: OK with counts, or its problems (exit 2).

    Example: netorigin validate data/seed_cohort.csv
    """
    from ..io import load_cases, plan_outputs
    from ._render import render_validation

    aside = set_aside_output(file, skip_invalid, set_aside)
    plan_outputs([aside], inputs=[file, mapping])
    with progress_bar(f"reading and validating {file}"):
        v = load_cases(file, kind=kind, mapping=mapping, skip_invalid=skip_invalid)
    render_validation(file, v, verbose=verbose)
    line = report_set_aside(v, aside.path)
    if line:
        click.echo(line)


def register(main):
    main.add_command(validate)
