"""GEO series matrices read into a contract cohort (sample characteristics and the expression
table); what was done to the data is returned as notes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..contract import DEFAULT_EXPRESSION_GENES
from ..exceptions import InputError
from ._public import _expression, _join_notes, _labels, _text, _tsv

if TYPE_CHECKING:
    import pandas as pd


def _geo_sections(text: str) -> tuple[list, list, list]:
    """(sample accessions, characteristics lines (values per sample), the matrix table's lines)."""
    accessions, characteristics, table_lines, in_table = [], [], [], False
    for line in text.splitlines():
        if line.startswith("!series_matrix_table_begin"):
            in_table = True
        elif line.startswith("!series_matrix_table_end"):
            in_table = False
        elif in_table:
            table_lines.append(line)
        elif line.startswith("!Sample_geo_accession"):
            accessions = _geo_values(line)
        elif line.startswith("!Sample_characteristics_ch1"):
            characteristics.append(_geo_values(line))
    return accessions, characteristics, table_lines


def _geo_keys(characteristics: list, n: int, path) -> dict[str, list[str]]:
    """key -> value per sample of the characteristics lines; a line mixing keys, a key on two
    lines or a line of the wrong length is refused (what a value means cannot be known)."""
    by_key: dict[str, list[str]] = {}
    for line_no, values in enumerate(characteristics, start=1):
        if len(values) != n:
            raise InputError(f"{path}: a !Sample_characteristics_ch1 line has {len(values)} values for {n} samples")
        keys = {v.split(":", 1)[0].strip().lower() for v in values if ":" in v}
        if len(keys) > 1:
            raise InputError(
                f"{path}: characteristics line {line_no} mixes the keys {', '.join(sorted(keys)[:4])}; "
                "one key per line is needed to know what each value means"
            )
        key = next(iter(keys), None)
        if key in by_key:
            raise InputError(
                f"{path}: the characteristics key {key!r} is on two lines; which one holds the value cannot be known"
            )
        if key:
            by_key[key] = [v.split(":", 1)[1].strip() if ":" in v else "" for v in values]
    return by_key


def _geo_values(line: str) -> list[str]:
    return [x.strip().strip('"') for x in line.rstrip("\n").split("\t")[1:]]


def import_geo(
    series_matrix: str | Path,
    *,
    site_key: str | None = None,
    genes=DEFAULT_EXPRESSION_GENES,
    all_genes: bool = False,
    probe_map: str | Path | None = None,
    expression: str = "auto",
) -> tuple[pd.DataFrame, list[str]]:
    """A GEO series matrix (``GSE..._series_matrix.txt``) as a contract cohort and the notes.

    Samples are ``!Sample_geo_accession``; the primary site comes from the characteristics line
    whose key is ``site_key`` (``key: value``; by default the first key naming a site, tissue or
    origin). Rows of the table are genes, or probes translated with ``probe_map`` (a CSV with
    columns probe, gene).
    """
    # long: the series matrix's sections in reading order (ids, characteristics, expression), each with its notes
    import pandas as pd

    path = Path(series_matrix)
    accessions, characteristics, table_lines = _geo_sections(_text(path))
    if not accessions:
        raise InputError(f"{path}: no !Sample_geo_accession line: not a GEO series matrix")
    notes: list[str] = []
    out = pd.DataFrame({"case_id": accessions})
    by_key = _geo_keys(characteristics, len(accessions), path)
    candidates = [k for k in by_key if any(w in k for w in ("site", "tissue", "origin", "location"))]
    key = site_key.lower() if site_key else (candidates[0] if candidates else None)
    if site_key and key not in by_key:
        raise InputError(
            f"--site-key {site_key!r}: not a characteristics key of {path.name}; its keys are " + ", ".join(by_key)
        )
    if key:
        others = [k for k in candidates if k != key]
        notes.append(
            f"primary site read from the characteristics key {key!r}"
            + (
                f" (other keys that may hold it: {', '.join(map(repr, others))}; --site-key chooses)"
                if others and not site_key
                else ""
            )
        )
        out["primary_site"], out["primary_site_detail"] = _labels(
            pd.Series(by_key[key], dtype=object), f"'{key}'", notes
        )
    else:
        notes.append("no characteristics key naming the site (give --site-key): the cohort is unlabelled")
    for k, field in (("age", "age_years"), ("sex", "sex"), ("gender", "sex")):
        if k in by_key and field not in out.columns:
            out[field] = by_key[k]
    if table_lines and (all_genes or genes):
        m = _tsv(table_lines, f"{path}: the matrix table")
        m = m.set_index(m.columns[0])
        m.index = m.index.astype(str)
        if probe_map is not None:
            from ._read import read_table

            pm = read_table(probe_map)
            if not {"probe", "gene"} <= set(pm.columns):
                raise InputError(f"{probe_map}: expected columns probe, gene")
            genes_of = dict(zip(pm["probe"], pm["gene"].str.upper()))
            m = m[m.index.isin(genes_of)]
            m.index = m.index.map(genes_of)
            notes.append(f"probes translated to genes with {Path(probe_map).name} (first probe per gene kept)")
        m.index = m.index.str.upper()
        e = _expression(m, genes, all_genes, expression, notes)
        notes.append(
            "expression from a GEO series matrix: array or sequencing values as deposited, "
            "not necessarily TPM; compare with the training data before use"
        )
        _join_notes(out["case_id"], e.index, path.name, notes)
        out = out.join(e, on="case_id")
    return out, notes
