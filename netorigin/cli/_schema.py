"""``netorigin template`` and ``netorigin schema``."""

import json

import click


@click.command()
def template():
    """Print a commented YAML case with every field and its allowed values.

    Example: netorigin template > my_case.yaml
    """
    from ..contract import make_case_template

    click.echo(make_case_template(), nl=False)


@click.command()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["markdown", "json-schema", "csv"]),
    default="markdown",
    show_default=True,
    help="Markdown table, JSON Schema (2020-12) for one case, or CSV.",
)
@click.option(
    "--of",
    "what",
    type=click.Choice(["case", "pipeline"]),
    default="case",
    show_default=True,
    help="The case contract, or a pipeline config (netorigin run; Markdown or JSON Schema).",
)
def schema(fmt, what):
    """Print the case contract: fields, accepted values, units and synonyms.

    Example: netorigin schema --format json-schema > case.schema.json
    """
    from ..contract import contract_csv, contract_json_schema, contract_markdown

    if what == "pipeline":
        from ..app import pipeline_json_schema, pipeline_markdown

        if fmt == "csv":
            raise click.UsageError("--of pipeline: the schema is Markdown or JSON Schema (--format csv is the case's)")
        click.echo(
            json.dumps(pipeline_json_schema(), indent=2) if fmt == "json-schema" else pipeline_markdown(),
            nl=fmt == "json-schema",
        )
        return
    if fmt == "json-schema":
        click.echo(json.dumps(contract_json_schema(), indent=2))
    elif fmt == "csv":
        click.echo(contract_csv(), nl=False)
    else:
        click.echo(contract_markdown(), nl=False)


def register(main):
    main.add_command(template)
    main.add_command(schema)
