"""``netorigin map suggest``."""

import click

from ._common import friendly


@click.group(name="map")
def map_group():
    """Map your cohort's columns and values to the case contract."""


@map_group.command("suggest")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the draft here (default: print).")
@friendly
def map_suggest(file, output):
    """Draft a mapping for FILE; every guess is marked for a person to confirm.

    Example: netorigin map suggest registry.csv -o mapping.yaml
    """
    from ..io import Output, plan_outputs, read_table, suggest_mapping, write_bytes_atomic

    # planned before the cohort is read: never written over it (nor any file it is, by a link)
    plan_outputs([Output("-o", output, suffixes=(".yaml", ".yml"))], inputs=[file])
    text = suggest_mapping(read_table(file), source=file)
    if output:
        write_bytes_atomic(output, text.encode("utf-8"))
        click.echo(f"wrote a draft mapping to {output}: confirm the lines marked GUESS and UNPLACED")
    else:
        click.echo(text, nl=False)


def register(main):
    main.add_command(map_group)
