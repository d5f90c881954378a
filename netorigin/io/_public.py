"""Public data formats read into a contract cohort: cBioPortal study folders and GEO series
matrices. What each reader did to the data is returned as notes (the transformation of the
expression values, the site labels it could not place, the samples without expression), never
done silently.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..contract import DEFAULT_EXPRESSION_GENES
from ..exceptions import InputError
from ._strict import decode_text, read_bounded

if TYPE_CHECKING:
    import pandas as pd

MAX_PUBLIC_FILE = 2 * 1024**3  # expression matrices are large; refuse only the absurd
# MAF Variant_Classification values (compared in lower case): a damaging change is read as loss of
# the protein (the proxy said in the notes); any other classification is left not done.
DAMAGING = {
    k.lower()
    for k in (
        "Frame_Shift_Del",
        "Frame_Shift_Ins",
        "Nonsense_Mutation",
        "Splice_Site",
        "Translation_Start_Site",
        "Nonstop_Mutation",
        "In_Frame_Del",
        "In_Frame_Ins",
        "Missense_Mutation",
    )
}
NOT_DAMAGING = {
    k.lower()
    for k in (
        "Silent",
        "Intron",
        "3'UTR",
        "5'UTR",
        "3'Flank",
        "5'Flank",
        "IGR",
        "RNA",
        "Splice_Region",
        "Targeted_Region",
    )
}
SITE_COLUMNS = (
    "PRIMARY_SITE",
    "PRIMARY_TUMOR_SITE",
    "TUMOR_SITE",
    "PRIMARY_TUMOR_LOCATION",
    "TISSUE_SOURCE_SITE",
    "ORGAN",
    "CANCER_TYPE_DETAILED",
    "ONCOTREE_CODE",
)


def _text(path: Path) -> str:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: is not a regular file (a folder, a device or a pipe); expected a data file")
    return decode_text(read_bounded(path, MAX_PUBLIC_FILE, "public data file"), path)


def _tsv(lines: list[str], source, first_line: int = 1) -> pd.DataFrame:
    """Tab-separated lines (the first is the header) as text, refusing ragged rows by line."""
    import pandas as pd

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


# Site labels of public data read by exact phrase only (case, spacing, "-", "_" and a trailing
# "neuroendocrine tumour", "NET" or "carcinoid" aside): never by a word inside a longer label, so that
# "Non-small intestine", "not pancreas" or "Pancreatic metastasis to lung" are never read as a site.
# Phrase -> (site, sub-site or None when the label names the site only).
SITE_PHRASES = {
    **{w: ("ileal", "ileum") for w in ("ileum", "ileal", "terminal ileum", "distal ileum")},
    **{w: ("ileal", "jejunum") for w in ("jejunum", "jejunal")},
    **{
        w: ("ileal", None)
        for w in (
            "small intestine",
            "small intestinal",
            "small bowel",
            "si",
            "sbnet",
            "si net",
            "sinet",
            "jejunoileal",
            "jejuno ileal",
            "ileojejunal",
        )
    },
    **{w: ("pancreatic", "pancreas") for w in ("pancreas", "pancreatic", "panet", "pnet", "pannet")},
    **{w: ("other", "lung") for w in ("lung", "bronchus", "bronchial", "pulmonary", "lung bronchus")},
    **{w: ("other", "rectum") for w in ("rectum", "rectal")},
    **{w: ("other", "colon") for w in ("colon", "colonic")},
    **{w: ("other", "caecum") for w in ("caecum", "cecum", "cecal", "caecal")},
    **{w: ("other", "appendix") for w in ("appendix", "appendiceal")},
    **{w: ("other", "stomach") for w in ("stomach", "gastric")},
    **{w: ("other", "duodenum") for w in ("duodenum", "duodenal")},
}
_TUMOUR_WORDS = (
    "neuroendocrine tumour",
    "neuroendocrine tumor",
    "neuroendocrine neoplasm",
    "carcinoid tumour",
    "carcinoid tumor",
    "carcinoid",
    "net",
    "nets",
    "primary",
)
SHOWN_LABEL = 60  # characters of a free-text label quoted in a note


def site_of_label(value) -> tuple[str, str | None] | None:
    """(site, sub-site or None) of a free-text primary-site label, or None when it is not one.

    >>> site_of_label("Small Intestine"), site_of_label("Pancreatic NET"), site_of_label("Non-small intestine")
    (('ileal', None), ('pancreatic', 'pancreas'), None)
    """
    if value is None:
        return None
    text = " ".join(re.sub(r"[-_/,.;:()]+", " ", str(value).lower()).split())
    if text in SITE_PHRASES:
        return SITE_PHRASES[text]
    for words in _TUMOUR_WORDS:
        if text.endswith(" " + words) and text[: -len(words) - 1] in SITE_PHRASES:
            return SITE_PHRASES[text[: -len(words) - 1]]
    return None


def _quote(label) -> str:
    text = str(label)
    return repr(text if len(text) <= SHOWN_LABEL else text[:SHOWN_LABEL] + "...")


def _labels(raw: pd.Series, where: str, notes: list) -> tuple[np.ndarray, np.ndarray]:
    """(primary_site, primary_site_detail) of free-text labels, with notes on what was left unlabelled
    and what names a site but not its sub-site."""
    read = [site_of_label(v) if str(v).strip() else None for v in raw]
    site = np.array([r[0] if r else "" for r in read], dtype=object)
    detail = np.array([(r[1] or "") if r else "" for r in read], dtype=object)
    blank = raw.astype(str).str.strip().eq("").to_numpy()
    unplaced = raw[(site == "") & ~blank]
    if len(unplaced):
        shown = ", ".join(_quote(x) for x in sorted(set(unplaced))[:8])
        notes.append(
            f"site labels in {where} that are not a site or sub-site of the contract, left unlabelled "
            f"({len(unplaced)} sample(s)): {shown}"
        )
    site_only = raw[(site != "") & (detail == "")]
    if len(site_only):
        shown = ", ".join(f"{_quote(x)} -> {site_of_label(x)[0]}" for x in sorted(set(site_only))[:8])
        notes.append(
            f"{len(site_only)} sample(s) name the site but not the sub-site ({shown}): primary_site set, "
            "primary_site_detail left blank"
        )
    return site, detail


def _expression(matrix: pd.DataFrame, genes, all_genes: bool, how: str, notes: list) -> pd.DataFrame:
    """(samples x expr_<gene>) in log2(TPM + 1), from a (genes x samples) matrix."""
    import pandas as pd

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
        notes.append(
            "expression: values taken as already on a log2 scale (largest value "
            f"{finite.max() if finite.size else float('nan'):.1f}); no transformation"
        )
    out = values.T
    out.columns = [f"expr_{str(g).lower()}" for g in out.columns]
    return out.round(4)


def import_cbioportal(
    study: str | Path,
    *,
    genes=DEFAULT_EXPRESSION_GENES,
    all_genes: bool = False,
    mutations: bool = False,
    site_column: str | None = None,
    expression: str = "auto",
) -> tuple[pd.DataFrame, list[str]]:
    """A cBioPortal study folder as a contract cohort (one row per sample) and the notes.

    Reads ``data_clinical_sample.txt`` (and ``data_clinical_patient.txt`` for age and sex), the
    first expression file found (``data_mrna_seq_tpm.txt``, ``data_mrna_seq_v2_rsem.txt``,
    ``data_expression*.txt``) and, only when ``mutations``, ``data_mutations*.txt``: a
    non-silent DAXX or ATRX mutation is recorded as ``ihc_daxx_atrx = lost`` (the molecular
    counterpart of the IHC loss, a proxy stated in the notes); sequenced samples without one as
    ``retained``.
    """
    import pandas as pd

    root = Path(study)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder (a cBioPortal study folder holds data_clinical_sample.txt)")
    notes: list[str] = []
    samples = _cbio_table(root / "data_clinical_sample.txt")
    if "SAMPLE_ID" not in samples.columns:
        raise InputError(f"{root / 'data_clinical_sample.txt'}: no SAMPLE_ID column")
    out = pd.DataFrame({"case_id": samples["SAMPLE_ID"]})
    _cbio_patients(root / "data_clinical_patient.txt", samples, out, notes)
    _cbio_sites(samples, site_column, out, notes)
    if all_genes or genes:
        out = _cbio_expression(root, genes, all_genes, expression, out, notes)
    if mutations:
        _cbio_mutations(root, out, notes)
    return out, notes


def _cbio_patients(patient_file: Path, samples, out, notes: list) -> None:
    """Age and sex from the patient file, joined by PATIENT_ID (said when it cannot be)."""
    if not patient_file.exists():
        return
    patients = _cbio_table(patient_file)
    if "PATIENT_ID" not in patients.columns:
        raise InputError(f"{patient_file}: no PATIENT_ID column; its columns are {', '.join(patients.columns[:10])}")
    dup = sorted(set(patients["PATIENT_ID"][patients["PATIENT_ID"].duplicated()]))
    if dup:
        raise InputError(
            f"{patient_file}: PATIENT_ID {', '.join(_quote(d) for d in dup[:5])} appear(s) more than "
            "once; one row per patient"
        )
    if "PATIENT_ID" not in samples.columns:
        notes.append(
            f"{patient_file.name} not used (age and sex not read): data_clinical_sample.txt has no "
            "PATIENT_ID column to join them by"
        )
        return
    patients = patients.set_index("PATIENT_ID")
    pid = samples["PATIENT_ID"]
    unknown = sorted(set(pid) - set(patients.index))
    if unknown:
        notes.append(
            f"{len(unknown)} patient(s) of the samples are not in {patient_file.name} (age and sex not "
            f"done for them): {', '.join(_quote(u) for u in unknown[:5])}"
        )
    for src, dst in (("AGE", "age_years"), ("SEX", "sex")):
        if src in patients.columns:
            out[dst] = pid.map(patients[src]).fillna("").to_numpy()


def _cbio_sites(samples, site_column, out, notes: list) -> None:
    if site_column and site_column not in samples.columns:
        raise InputError(
            f"--site-column {site_column!r}: not a column of data_clinical_sample.txt; its columns are "
            + ", ".join(samples.columns)
        )
    column = site_column or next((c for c in SITE_COLUMNS if c in samples.columns), None)
    if not column:
        notes.append("no primary-site column found (give --site-column): the cohort is unlabelled")
        return
    notes.append(
        f"primary site read from the column {column}"
        + ("" if site_column else f" (the first of {', '.join(SITE_COLUMNS)} found; --site-column chooses another)")
    )
    out["primary_site"], out["primary_site_detail"] = _labels(samples[column], column, notes)


def _cbio_expression(root: Path, genes, all_genes: bool, expression: str, out, notes: list):
    """The study's first expression file joined to the samples (a non-file of that name refused)."""
    candidates = [root / n for n in ("data_mrna_seq_tpm.txt", "data_mrna_seq_v2_rsem.txt")]
    candidates += sorted(root.glob("data_expression*.txt"))
    odd = [f for f in candidates if f.exists() and not f.is_file()]
    if odd:
        raise InputError(
            f"{odd[0]}: is not a regular file (a folder, a device or a pipe); expected an expression "
            "matrix, or nothing of that name"
        )
    expr_file = next((f for f in candidates if f.is_file()), None)
    if expr_file is None:
        return out
    m = _cbio_table(expr_file)
    gene_col = "Hugo_Symbol" if "Hugo_Symbol" in m.columns else m.columns[0]
    m = m.set_index(m[gene_col].str.upper())
    m = m.drop(columns=[c for c in ("Hugo_Symbol", "Entrez_Gene_Id") if c in m.columns])
    linear = expression == "auto" and ("tpm" in expr_file.name or "rsem" in expr_file.name)
    if "rsem" in expr_file.name:
        notes.append(f"{expr_file.name}: RSEM estimates are not TPM; log2(x + 1) of them is used as log2(TPM + 1)")
    e = _expression(m, genes, all_genes, "linear" if linear else expression, notes)
    _join_notes(out["case_id"], e.index, expr_file.name, notes)
    return out.join(e, on="case_id")


def _cbio_mutations(root: Path, out, notes: list) -> None:
    """DAXX/ATRX loss from the MAF (a damaging variant), retained for other sequenced samples, not
    done where the classification is unknown: a proxy for the IHC result, said in the notes."""
    maf = next(iter(sorted(root.glob("data_mutations*.txt"))), None)
    if maf is None:
        raise InputError(f"{root}: --mutations asked, but there is no data_mutations*.txt")
    mut = _cbio_table(maf)
    missing = [c for c in ("Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification") if c not in mut.columns]
    if missing:
        raise InputError(
            f"{maf}: no {', '.join(missing)} column; a MAF file names the gene, the sample and the "
            "variant's classification"
        )
    kind = mut["Variant_Classification"].str.strip().str.lower()
    genes_hit = mut["Hugo_Symbol"].str.upper().isin(["DAXX", "ATRX"])
    unknown = sorted(set(mut["Variant_Classification"][genes_hit & ~kind.isin(DAMAGING | NOT_DAMAGING)]))
    lost = set(mut["Tumor_Sample_Barcode"][genes_hit & kind.isin(DAMAGING)])
    sequenced = set(mut["Tumor_Sample_Barcode"])
    listed = root / "case_lists" / "cases_sequenced.txt"
    if listed.is_file():
        for ln in _text(listed).splitlines():
            if ln.startswith("case_list_ids:"):
                sequenced |= {x for x in ln.split(":", 1)[1].replace("\t", " ").split() if x}
    unsure = set(mut["Tumor_Sample_Barcode"][genes_hit & kind.isin({k.lower() for k in unknown})]) - lost
    out["ihc_daxx_atrx"] = [
        "lost" if c in lost else ("" if c in unsure else ("retained" if c in sequenced else "")) for c in out["case_id"]
    ]
    if unknown:
        notes.append(
            f"DAXX/ATRX variants of an unknown classification ({', '.join(_quote(u) for u in unknown[:5])}): "
            f"{len(unsure)} sample(s) left not done rather than guessed"
        )
    notes.append(
        f"ihc_daxx_atrx from {maf.name}: a non-silent DAXX/ATRX mutation read as loss ({len(lost)} "
        "sample(s)), other sequenced samples as retained; a proxy for the IHC result, not the same test"
    )


def _join_notes(case_ids, expression_ids, name: str, notes: list) -> None:
    """Say which samples have no expression column, and which expression columns match no sample."""
    without = sorted(set(case_ids) - set(expression_ids))
    if without:
        notes.append(f"{len(without)} sample(s) have no expression column in {name}: not done for them")
    orphans = sorted(set(expression_ids) - set(case_ids))
    if orphans:
        notes.append(
            f"{len(orphans)} expression column(s) of {name} match no sample and were not used: "
            + ", ".join(_quote(o) for o in orphans[:5])
        )


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
