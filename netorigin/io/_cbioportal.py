"""cBioPortal study folders read into a contract cohort (clinical sample and patient files, the
expression matrix, DAXX/ATRX mutations); what was done to the data is returned as notes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..contract import DEFAULT_EXPRESSION_GENES
from ..exceptions import InputError
from ._public import _expression, _join_notes, _labels, _quote, _text, _tsv

if TYPE_CHECKING:
    import pandas as pd


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


def _cbio_table(path: Path) -> pd.DataFrame:
    """A cBioPortal data file: tab-separated, metadata lines starting with '#'."""
    all_lines = _text(path).splitlines()
    skipped = sum(1 for ln in all_lines if ln.startswith("#"))
    lines = [ln for ln in all_lines if not ln.startswith("#")]
    if not lines:
        raise InputError(f"{path}: no header line (only '#' metadata lines)")
    return _tsv(lines, path, first_line=skipped + 1)


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
