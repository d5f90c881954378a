"""Public data formats read into a contract cohort: cBioPortal study folders and GEO series
matrices. What each reader did to the data is returned as notes (the transformation of the
expression values, the site labels it could not place, the samples without expression), never
done silently.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..contract import DEFAULT_EXPRESSION_GENES, FIELDS, parse_value
from ..exceptions import InputError
from ._strict import decode_text, read_bounded

MAX_PUBLIC_FILE = 2 * 1024**3  # expression matrices are large; refuse only the absurd
SITE_COLUMNS = ("PRIMARY_SITE", "PRIMARY_TUMOR_SITE", "TUMOR_SITE", "PRIMARY_TUMOR_LOCATION", "TISSUE_SOURCE_SITE",
                "ORGAN", "CANCER_TYPE_DETAILED", "ONCOTREE_CODE")


def _text(path: Path) -> str:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    return decode_text(read_bounded(path, MAX_PUBLIC_FILE, "public data file"), path)


def _tsv(lines: list[str], source, first_line: int = 1) -> pd.DataFrame:
    """Tab-separated lines (the first is the header) as text, refusing ragged rows by line."""
    if not lines or not lines[0].strip():
        raise InputError(f"{source}: no header line")
    rows = [ln.rstrip("\r").split("\t") for ln in lines if ln.strip()]
    header = [h.strip().strip('"') for h in rows[0]]
    if len(set(header)) != len(header) or any(not h for h in header):
        raise InputError(f"{source}: the header has a blank or repeated column name: {header[:8]}")
    bad = [i for i, r in enumerate(rows[1:], start=1) if len(r) != len(header)]
    if bad:
        shown = ", ".join(f"line {first_line + i} has {len(rows[i])}" for i in bad[:5])
        raise InputError(f"{source}: {len(bad)} row(s) do not have the header's {len(header)} fields: {shown}")
    return pd.DataFrame([[v.strip().strip('"') for v in r] for r in rows[1:]], columns=header, dtype=object)


def _cbio_table(path: Path) -> pd.DataFrame:
    """A cBioPortal data file: tab-separated, metadata lines starting with '#'."""
    all_lines = _text(path).splitlines()
    skipped = sum(1 for ln in all_lines if ln.startswith("#"))
    lines = [ln for ln in all_lines if not ln.startswith("#")]
    if not lines:
        raise InputError(f"{path}: no header line (only '#' metadata lines)")
    return _tsv(lines, path, first_line=skipped + 1)


def _site(value: str) -> str | None:
    """A free-text site label read as a contract sub-site (or None). "Small intestine" is read
    as ileum: the model's site (ileal) is the same for ileum and jejunum."""
    if value is None or not str(value).strip():
        return None
    res = parse_value(FIELDS["primary_site_detail"], str(value).strip())
    if isinstance(res, str):
        return res
    text = str(value).lower()
    for word, detail in (("ileum", "ileum"), ("ileal", "ileum"), ("small intestin", "ileum"), ("small bowel", "ileum"), ("midgut", "ileum"), ("jejun", "jejunum"),
                         ("pancrea", "pancreas"), ("lung", "lung"), ("bronch", "lung"), ("rect", "rectum"),
                         ("colon", "colon"), ("caec", "caecum"), ("cecum", "caecum"), ("append", "appendix"),
                         ("stomach", "stomach"), ("gastric", "stomach"), ("duoden", "duodenum")):
        if word in text:
            return detail
    return None


def _expression(matrix: pd.DataFrame, genes, all_genes: bool, how: str, notes: list) -> pd.DataFrame:
    """(samples x expr_<gene>) in log2(TPM + 1), from a (genes x samples) matrix."""
    genes = [str(g).upper().removeprefix("EXPR_") for g in genes]
    values = matrix.apply(pd.to_numeric, errors="coerce")
    values = values[~values.index.duplicated(keep="first")]
    keep = values.index if all_genes else [g for g in (x.upper() for x in genes) if g in values.index]
    missing = [] if all_genes else [g for g in (x.upper() for x in genes) if g not in values.index]
    if missing:
        notes.append(f"gene(s) not in the expression file, left not done: {', '.join(missing)}")
    values = values.loc[keep]
    finite = values.to_numpy(dtype=float)[np.isfinite(values.to_numpy(dtype=float))]
    if how == "linear" or (how == "auto" and finite.size and finite.max() > 50):
        values = np.log2(values.clip(lower=0) + 1)
        notes.append("expression: linear values transformed to log2(x + 1)")
    else:
        notes.append("expression: values taken as already on a log2 scale (largest value "
                     f"{finite.max() if finite.size else float('nan'):.1f}); no transformation")
    out = values.T
    out.columns = [f"expr_{str(g).lower()}" for g in out.columns]
    return out.round(4)


def import_cbioportal(study: str | Path, *, genes=DEFAULT_EXPRESSION_GENES, all_genes: bool = False,
                      mutations: bool = False, site_column: str | None = None,
                      expression: str = "auto") -> tuple[pd.DataFrame, list[str]]:
    """A cBioPortal study folder as a contract cohort (one row per sample) and the notes.

    Reads ``data_clinical_sample.txt`` (and ``data_clinical_patient.txt`` for age and sex), the
    first expression file found (``data_mrna_seq_tpm.txt``, ``data_mrna_seq_v2_rsem.txt``,
    ``data_expression*.txt``) and, only when ``mutations``, ``data_mutations*.txt``: a
    non-silent DAXX or ATRX mutation is recorded as ``ihc_daxx_atrx = lost`` (the molecular
    counterpart of the IHC loss, a proxy stated in the notes); sequenced samples without one as
    ``retained``.
    """
    root = Path(study)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder (a cBioPortal study folder holds data_clinical_sample.txt)")
    notes: list[str] = []
    samples = _cbio_table(root / "data_clinical_sample.txt")
    if "SAMPLE_ID" not in samples.columns:
        raise InputError(f"{root / 'data_clinical_sample.txt'}: no SAMPLE_ID column")
    out = pd.DataFrame({"case_id": samples["SAMPLE_ID"]})
    patient_file = root / "data_clinical_patient.txt"
    if patient_file.is_file() and "PATIENT_ID" in samples.columns:
        patients = _cbio_table(patient_file).set_index("PATIENT_ID")
        pid = samples["PATIENT_ID"]
        for src, dst in (("AGE", "age_years"), ("SEX", "sex")):
            if src in patients.columns:
                out[dst] = pid.map(patients[src]).fillna("").to_numpy()
    column = site_column or next((c for c in SITE_COLUMNS if c in samples.columns), None)
    if site_column and site_column not in samples.columns:
        raise InputError(f"--site-column {site_column!r}: not a column of data_clinical_sample.txt; its columns are "
                         + ", ".join(samples.columns))
    if column:
        detail = samples[column].map(_site)
        unplaced = sorted(set(samples[column][detail.isna() & samples[column].str.strip().ne("")]))
        if unplaced:
            notes.append(f"site labels in {column} that are not a contract sub-site, left unlabelled "
                         f"({int((detail.isna() & samples[column].str.strip().ne('')).sum())} sample(s)): "
                         + ", ".join(map(repr, unplaced[:8])))
        out["primary_site_detail"] = detail.fillna("").to_numpy()
    else:
        notes.append("no primary-site column found (give --site-column): the cohort is unlabelled")
    expr_files = [root / n for n in ("data_mrna_seq_tpm.txt", "data_mrna_seq_v2_rsem.txt")] + sorted(
        root.glob("data_expression*.txt"))
    expr_file = next((f for f in expr_files if f.is_file()), None)
    if expr_file is not None and (all_genes or genes):
        m = _cbio_table(expr_file)
        gene_col = "Hugo_Symbol" if "Hugo_Symbol" in m.columns else m.columns[0]
        m = m.set_index(m[gene_col].str.upper()).drop(columns=[c for c in ("Hugo_Symbol", "Entrez_Gene_Id")
                                                               if c in m.columns])
        how = "linear" if expression == "auto" and ("tpm" in expr_file.name or "rsem" in expr_file.name) else expression
        if "rsem" in expr_file.name:
            notes.append(f"{expr_file.name}: RSEM estimates are not TPM; log2(x + 1) of them is used as log2(TPM + 1)")
        e = _expression(m, genes, all_genes, how, notes)
        without = sorted(set(out["case_id"]) - set(e.index))
        if without:
            notes.append(f"{len(without)} sample(s) have no expression column: not done for them")
        out = out.join(e, on="case_id")
    if mutations:
        maf = next(iter(sorted(root.glob("data_mutations*.txt"))), None)
        if maf is None:
            raise InputError(f"{root}: --mutations asked, but there is no data_mutations*.txt")
        mut = _cbio_table(maf)
        silent = {"Silent", "Intron", "3'UTR", "5'UTR", "3'Flank", "5'Flank", "IGR", "RNA"}
        hit = mut[mut["Hugo_Symbol"].str.upper().isin(["DAXX", "ATRX"])
                  & ~mut.get("Variant_Classification", pd.Series("", index=mut.index)).isin(silent)]
        sequenced = set(mut["Tumor_Sample_Barcode"])
        listed = root / "case_lists" / "cases_sequenced.txt"
        if listed.is_file():
            for ln in _text(listed).splitlines():
                if ln.startswith("case_list_ids:"):
                    sequenced |= {x for x in ln.split(":", 1)[1].replace("\t", " ").split() if x}
        lost = set(hit["Tumor_Sample_Barcode"])
        out["ihc_daxx_atrx"] = ["lost" if c in lost else ("retained" if c in sequenced else "")
                                for c in out["case_id"]]
        notes.append(f"ihc_daxx_atrx from {maf.name}: a non-silent DAXX/ATRX mutation read as loss ({len(lost)} "
                     "sample(s)), other sequenced samples as retained; a proxy for the IHC result, not the same test")
    return out, notes


def _geo_values(line: str) -> list[str]:
    return [x.strip().strip('"') for x in line.rstrip("\n").split("\t")[1:]]


def import_geo(series_matrix: str | Path, *, site_key: str | None = None, genes=DEFAULT_EXPRESSION_GENES,
               all_genes: bool = False, probe_map: str | Path | None = None,
               expression: str = "auto") -> tuple[pd.DataFrame, list[str]]:
    """A GEO series matrix (``GSE..._series_matrix.txt``) as a contract cohort and the notes.

    Samples are ``!Sample_geo_accession``; the primary site comes from the characteristics line
    whose key is ``site_key`` (``key: value``; by default the first key naming a site, tissue or
    origin). Rows of the table are genes, or probes translated with ``probe_map`` (a CSV with
    columns probe, gene).
    """
    path = Path(series_matrix)
    text = _text(path)
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
    if not accessions:
        raise InputError(f"{path}: no !Sample_geo_accession line: not a GEO series matrix")
    notes: list[str] = []
    out = pd.DataFrame({"case_id": accessions})
    by_key: dict[str, list[str]] = {}
    for values in characteristics:
        if len(values) != len(accessions):
            raise InputError(f"{path}: a !Sample_characteristics_ch1 line has {len(values)} values for "
                             f"{len(accessions)} samples")
        key = next((v.split(":", 1)[0].strip().lower() for v in values if ":" in v), None)
        if key:
            by_key[key] = [v.split(":", 1)[1].strip() if ":" in v else "" for v in values]
    key = site_key.lower() if site_key else next(
        (k for k in by_key if any(w in k for w in ("site", "tissue", "origin", "location"))), None)
    if site_key and key not in by_key:
        raise InputError(f"--site-key {site_key!r}: not a characteristics key of {path.name}; its keys are "
                         + ", ".join(by_key))
    if key:
        raw = pd.Series(by_key[key])
        detail = raw.map(_site)
        unplaced = sorted(set(raw[detail.isna() & raw.ne("")]))
        if unplaced:
            notes.append(f"site labels under '{key}' that are not a contract sub-site, left unlabelled: "
                         + ", ".join(map(repr, unplaced[:8])))
        out["primary_site_detail"] = detail.fillna("").to_numpy()
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
        notes.append("expression from a GEO series matrix: array or sequencing values as deposited, "
                     "not necessarily TPM; compare with the training data before use")
        out = out.join(e, on="case_id")
    return out, notes
