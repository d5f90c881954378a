"""``netorigin import cbioportal`` and ``netorigin import geo``."""

from pathlib import Path

import click

from ._common import friendly, printable

_GENES = click.option(
    "--genes", default="CD302,PPWD1", show_default=True, help="Genes to keep as expr_<gene> columns (comma-separated)."
)
_ALL = click.option("--all-genes", is_flag=True, help="Keep every gene of the expression file.")
_EXPR = click.option(
    "--expression",
    type=click.Choice(["auto", "linear", "log2"]),
    default="auto",
    show_default=True,
    help="Scale of the deposited values: linear ones are turned into log2(x + 1); auto decides "
    "from the file (TPM/RSEM files and values above 50 are linear). The notes say what was done.",
)
_OUT = click.option(
    "-o", "--output", type=click.Path(dir_okay=False), required=True, help="Contract cohort to write (.csv/.parquet)."
)


def _write(table, notes, output):
    """Validate the imported cohort in memory, then write it (a refused table never replaces a file)."""
    from ..contract import validate_cohort
    from ..io import neutralise_formulas, write_table

    out = Path(output)
    v = validate_cohort(table, source=f"the imported cohort (not written to {out})")
    safe, _ = neutralise_formulas(table) if out.suffix.lower() in (".csv", ".tsv") else (table, 0)
    write_table(safe, out)
    for n in notes:
        click.echo(f"note: {printable(n)}")
    labelled = int(v.table["primary_site"].notna().sum()) if "primary_site" in v.table.columns else 0
    click.echo(
        f"wrote {v.n_cases:,} cases ({labelled:,} with a primary site) -> {out}; it validates. "
        f"Next: netorigin validate {out}"
    )


def _plan(output, *inputs):
    from ..io import Output, plan_outputs

    plan_outputs([Output("-o", output, suffixes=(".csv", ".tsv", ".parquet", ".pq"))], inputs=inputs)


@click.group("import")
def import_():
    """Bring a public NET cohort into the case contract (cBioPortal study folder, GEO series matrix)."""


@import_.command("cbioportal")
@click.argument("study", type=click.Path(file_okay=False))
@_OUT
@_GENES
@_ALL
@_EXPR
@click.option(
    "--mutations",
    is_flag=True,
    help="Record a non-silent DAXX/ATRX mutation as ihc_daxx_atrx = lost (a proxy for the IHC loss; off unless asked).",
)
@click.option(
    "--site-column",
    default=None,
    help="Clinical sample column holding the primary site (default: the first of PRIMARY_SITE, TUMOR_SITE, ... found).",
)
@friendly
def cbioportal(study, output, genes, all_genes, expression, mutations, site_column):
    """A cBioPortal study folder -> a contract cohort (one row per sample).

    Example: netorigin import cbioportal panet_study/ -o cohort.csv --mutations
    """
    from ..io import import_cbioportal

    _plan(output, study)
    table, notes = import_cbioportal(
        study,
        genes=[g for g in genes.split(",") if g.strip()],
        all_genes=all_genes,
        mutations=mutations,
        site_column=site_column,
        expression=expression,
    )
    _write(table, notes, output)


@import_.command("geo")
@click.argument("series_matrix", type=click.Path(dir_okay=False))
@_OUT
@_GENES
@_ALL
@_EXPR
@click.option(
    "--site-key",
    default=None,
    help="Characteristics key holding the primary site (default: the first key naming a site, tissue or origin).",
)
@click.option(
    "--probe-map",
    type=click.Path(dir_okay=False),
    default=None,
    help="CSV with columns probe, gene translating the matrix's probe ids to genes.",
)
@friendly
def geo(series_matrix, output, genes, all_genes, expression, site_key, probe_map):
    """A GEO series matrix file -> a contract cohort (one row per sample).

    Example: netorigin import geo GSE98894_series_matrix.txt -o cohort.csv --site-key "primary site"
    """
    from ..io import import_geo

    _plan(output, series_matrix, probe_map)
    table, notes = import_geo(
        series_matrix,
        site_key=site_key,
        genes=[g for g in genes.split(",") if g.strip()],
        all_genes=all_genes,
        probe_map=probe_map,
        expression=expression,
    )
    _write(table, notes, output)


def register(main):
    main.add_command(import_)
