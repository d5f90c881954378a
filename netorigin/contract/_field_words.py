"""Plain words for each field: its label (reasons, advice, and errors and warnings, which name a
field in words too)."""

from __future__ import annotations

from .. import exceptions as _exceptions
from ._procedures import PROCEDURES, result_words

# Plain words for each field, for reasons and advice shown to clinicians.
FIELD_LABELS = {
    "age_years": "age",
    "sex": "sex",
    "carcinoid_syndrome": "carcinoid syndrome",
    "hormonal_syndrome": "hormonal syndrome",
    "serum_cga": "serum chromogranin A",
    "serum_cga_x_uln": "serum chromogranin A (x ULN)",
    "urine_5hiaa": "urine 5-HIAA",
    "urine_5hiaa_x_uln": "urine 5-HIAA (x ULN)",
    "differentiation": "differentiation",
    "grade": "grade",
    "ki67_percent": "Ki-67",
    "mitoses_per_2mm2": "mitotic count",
    "ihc_chromogranin": "chromogranin IHC",
    "ihc_synaptophysin": "synaptophysin IHC",
    "ihc_cdx2": "CDX2",
    "ihc_ttf1": "TTF-1",
    "ihc_isl1": "ISL1",
    "ihc_pax8": "PAX8",
    "ihc_pdx1": "PDX1",
    "ihc_satb2": "SATB2",
    "ihc_otp": "OTP",
    "ihc_serotonin": "serotonin IHC",
    "ihc_pr": "progesterone receptor",
    "ihc_sstr2a": "SSTR2A IHC",
    "ihc_daxx_atrx": "DAXX/ATRX",
    "mesenteric_mass": "mesenteric mass",
    "liver_lesions": "number of liver lesions",
    "largest_liver_lesion_cm": "largest liver lesion",
    "bone_metastases": "bone metastases",
    "sstr_imaging": "SSTR imaging",
    "alt_status": "ALT (telomere FISH)",
    "expr_cd302": "CD302 expression",
    "expr_ppwd1": "PPWD1 expression",
    **{p.name: p.label for p in PROCEDURES.values()},
}


def field_label(name: str) -> str:
    """Plain words for a field (``expr_<gene>`` -> '<GENE> expression')."""
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    if name.startswith("expr_"):
        return f"{name[5:].upper()} expression"
    return name


def value_words(name: str, value) -> str:
    """A field's canonical value in plain words: a procedure's result as a clinician says it
    ("pancreas lesion seen, not confirmed"), any other value as it is.

    >>> value_words("proc_eus", "confirmed_pancreas"), value_words("ihc_cdx2", "positive")
    ('pancreas primary confirmed by histology', 'positive')
    """
    return result_words(name, str(value)) if name in PROCEDURES else str(value)


_exceptions.LABELS.update(FIELD_LABELS)  # errors name a field in words too (Ki-67 (ki67_percent))
