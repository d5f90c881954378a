"""``netorigin validate``."""

import click

from ._common import friendly, mapping_option


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--as", "kind", type=click.Choice(["auto", "case", "cohort"]), default="auto",
              show_default=True, help="Read FILE as one case or as a cohort (auto: YAML/JSON and "
              "one-row CSV without case_id are cases).")
@mapping_option
@friendly
def validate(file, kind, mapping):
    """Check FILE against the case contract: OK with counts, or every problem (exit 2).

    Example: netorigin validate data/seed_cohort.csv
    """
    from ..io import load_cases
    from ._render import render_validation

    render_validation(file, load_cases(file, kind=kind, mapping=mapping))


def register(main):
    main.add_command(validate)
