"""The case contract: every field netorigin knows, its values, units and synonyms.

This is the one place in the code that knows field names and values. Everything else
(validation, features, templates, documentation) reads it from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from ._procedures import PROCEDURES, procedure_synonyms
from ._vocabulary import (
    _AGE,
    _CM,
    _PCT,
    _ULN,
    DAXX_SYNONYMS,
    DETAIL_SYNONYMS,
    DIFF_SYNONYMS,
    GRADE_SYNONYMS,
    HORMONAL_SYNONYMS,
    KI67_READINGS,
    LESION_SYNONYMS,
    LEVEL_SYNONYMS,
    LOSS_READINGS,
    MARKER_DESCRIPTIONS,
    MARKER_SYNONYMS,
    POSNEG_SYNONYMS,
    SEX_SYNONYMS,
    SITE_SYNONYMS,
    STAINING_READINGS,
    YESNO_SYNONYMS,
)

SCHEMA_VERSION = "1"


SITES = ("ileal", "pancreatic", "other")

# The sub-sites of each site that the synthetic world and sub-site models know.
SUBSITES = {
    "ileal": ("ileum", "jejunum"),
    "pancreatic": ("pancreas",),
    "other": ("lung", "rectum", "colon", "caecum", "appendix", "stomach", "duodenum"),
}


# Expression genes that every model has as features (the seed paper's pair).
DEFAULT_EXPRESSION_GENES = ("expr_cd302", "expr_ppwd1")

SITE_DETAILS = (
    "ileum",
    "jejunum",
    "pancreas",
    "lung",
    "rectum",
    "colon",
    "caecum",
    "appendix",
    "stomach",
    "duodenum",
    "other",
)

DETAIL_TO_SITE = {
    "ileum": "ileal",
    "jejunum": "ileal",
    "pancreas": "pancreatic",
    **{d: "other" for d in ("lung", "rectum", "colon", "caecum", "appendix", "stomach", "duodenum", "other")},
}


@dataclass(frozen=True)
class Field:
    """One field of the case contract.

    ``kind`` is ``"text"``, ``"number"``, ``"category"`` or ``"mitoses"`` (a number or a
    WHO band). For categories, ``values`` are the canonical values (``not_done`` is never a
    stored value: it is read as missing) and ``synonyms`` maps lower-cased input spellings
    to them.
    """

    name: str
    kind: str
    description: str
    group: str
    values: tuple[str, ...] = ()
    synonyms: Mapping[str, str] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    unit: str | None = None
    unit_suffixes: Mapping[str, float] = field(default_factory=dict)
    not_done_allowed: bool = False
    test: bool = False  # a test a clinician can order (used by the work-up and advice)
    # wording -> (value, the rule): a pathology wording of a category ("focal"), or a number field's
    # "below x" form ("<1" for Ki-67)
    readings: Mapping[str, tuple[object, str]] = field(default_factory=dict)
    procedure: bool = False  # a procedure that looks for the primary (its values: _procedures.py)

    @property
    def allowed(self) -> tuple[str, ...]:
        """Values shown to users, including ``not_done`` where the contract lists it."""
        return self.values + (("not_done",) if self.not_done_allowed else ())

    def expected(self) -> str:
        """Plain words for what the field accepts."""
        if self.kind == "category":
            return "one of " + ", ".join(self.allowed)
        if self.kind == "text":
            return "text"
        if self.kind == "mitoses":
            return "a number >= 0, or a WHO band: <2, 2-20, >20"
        lo, hi = self.minimum, self.maximum
        op = ">" if self.exclusive_minimum else ">="
        below = f", or one of {', '.join(self.readings)}" if self.readings else ""
        if hi is None:
            return f"a number {op} {_num(lo)}{below}"
        if self.exclusive_minimum:
            return f"a number > {_num(lo)} and <= {_num(hi)}{below}"
        return f"a number from {_num(lo)} to {_num(hi)}{below}"


def _num(x: float | None) -> str:
    return f"{x:g}" if x is not None else ""


def _build_fields() -> dict[str, Field]:
    # long: the table of every contract field, one entry per field; splitting it would scatter the table
    fs = [
        Field("case_id", "text", "case identifier; required and unique in a cohort", "id"),
        Field(
            "age_years",
            "number",
            "age at diagnosis of the liver metastases",
            "clinical",
            minimum=0,
            maximum=120,
            unit="years",
            unit_suffixes=_AGE,
        ),
        Field("sex", "category", "sex", "clinical", values=("male", "female"), synonyms=SEX_SYNONYMS),
        Field(
            "carcinoid_syndrome",
            "category",
            "carcinoid syndrome (flushing, diarrhoea)",
            "clinical",
            values=("yes", "no"),
            synonyms=YESNO_SYNONYMS,
        ),
        Field(
            "hormonal_syndrome",
            "category",
            "other functioning hormonal syndrome",
            "clinical",
            values=("none", "insulinoma", "gastrinoma", "glucagonoma", "vipoma", "other"),
            synonyms=HORMONAL_SYNONYMS,
        ),
        Field(
            "serum_cga",
            "category",
            "serum chromogranin A",
            "biochemistry",
            values=("normal", "elevated"),
            synonyms=LEVEL_SYNONYMS,
            test=True,
        ),
        Field(
            "serum_cga_x_uln",
            "number",
            "serum chromogranin A as a multiple of the lab's upper limit of normal",
            "biochemistry",
            minimum=0,
            unit="x ULN",
            unit_suffixes=_ULN,
        ),
        Field(
            "urine_5hiaa",
            "category",
            "24-hour urine 5-HIAA",
            "biochemistry",
            values=("normal", "elevated"),
            synonyms=LEVEL_SYNONYMS,
            test=True,
        ),
        Field(
            "urine_5hiaa_x_uln",
            "number",
            "urine 5-HIAA as a multiple of the lab's upper limit of normal",
            "biochemistry",
            minimum=0,
            unit="x ULN",
            unit_suffixes=_ULN,
        ),
        Field(
            "differentiation",
            "category",
            "histological differentiation",
            "pathology",
            values=("well", "poor"),
            synonyms=DIFF_SYNONYMS,
        ),
        Field("grade", "category", "WHO 2019 grade", "pathology", values=("G1", "G2", "G3"), synonyms=GRADE_SYNONYMS),
        Field(
            "ki67_percent",
            "number",
            "Ki-67 proliferation index",
            "pathology",
            minimum=0,
            maximum=100,
            unit="%",
            unit_suffixes=_PCT,
            readings=KI67_READINGS,
        ),
        Field(
            "mitoses_per_2mm2", "mitoses", "mitotic count per 2 mm2 (10 HPF)", "pathology", minimum=0, unit="per 2 mm2"
        ),
    ]
    for name, desc in MARKER_DESCRIPTIONS.items():
        fs.append(
            Field(
                name,
                "category",
                desc,
                "ihc",
                values=("positive", "negative", "equivocal"),
                synonyms=MARKER_SYNONYMS,
                not_done_allowed=True,
                test=True,
                readings=STAINING_READINGS,
            )
        )
    fs += [
        Field(
            "ihc_daxx_atrx",
            "category",
            "DAXX/ATRX nuclear expression; loss points to pancreas",
            "ihc",
            values=("lost", "retained"),
            synonyms=DAXX_SYNONYMS,
            not_done_allowed=True,
            test=True,
            readings=LOSS_READINGS,
        ),
        Field(
            "mesenteric_mass",
            "category",
            "mesenteric mass or fibrosis on imaging",
            "imaging",
            values=("yes", "no"),
            synonyms=YESNO_SYNONYMS,
        ),
        Field(
            "liver_lesions",
            "category",
            "number of liver lesions: solitary, oligo (2-5), multiple (>5)",
            "imaging",
            values=("solitary", "oligo", "multiple"),
            synonyms=LESION_SYNONYMS,
        ),
        Field(
            "largest_liver_lesion_cm",
            "number",
            "largest liver lesion",
            "imaging",
            minimum=0,
            exclusive_minimum=True,
            unit="cm",
            unit_suffixes=_CM,
        ),
        Field(
            "bone_metastases", "category", "bone metastases", "imaging", values=("yes", "no"), synonyms=YESNO_SYNONYMS
        ),
        Field(
            "sstr_imaging",
            "category",
            "somatostatin-receptor scintigraphy or PET uptake",
            "imaging",
            values=("positive", "negative"),
            synonyms=POSNEG_SYNONYMS,
            not_done_allowed=True,
            test=True,
        ),
        Field(
            "alt_status",
            "category",
            "alternative lengthening of telomeres (telomere FISH); positive points to pancreas",
            "molecular",
            values=("positive", "negative"),
            synonyms=POSNEG_SYNONYMS,
            not_done_allowed=True,
            test=True,
        ),
        Field(
            "expr_cd302",
            "number",
            "CD302 expression, log2(TPM + 1)",
            "expression",
            minimum=0,
            maximum=30,
            unit="log2(TPM+1)",
            test=True,
        ),
        Field(
            "expr_ppwd1",
            "number",
            "PPWD1 expression, log2(TPM + 1)",
            "expression",
            minimum=0,
            maximum=30,
            unit="log2(TPM+1)",
            test=True,
        ),
        *(
            Field(
                p.name,
                "category",
                p.description,
                "procedure",
                values=p.values,
                synonyms=procedure_synonyms(p),
                not_done_allowed=True,
                test=True,
                procedure=True,
            )
            for p in PROCEDURES.values()
        ),
        Field(
            "primary_site",
            "category",
            "primary site (the label; training data only)",
            "label",
            values=SITES,
            synonyms=SITE_SYNONYMS,
        ),
        Field(
            "primary_site_detail",
            "category",
            "finer primary site (optional)",
            "label",
            values=SITE_DETAILS,
            synonyms=DETAIL_SYNONYMS,
        ),
    ]
    return {f.name: f for f in fs}


FIELDS: dict[str, Field] = _build_fields()
LABEL_FIELDS = ("primary_site", "primary_site_detail")
EXPR_PREFIX = "expr_"
_GENE = re.compile(r"^expr_[a-z0-9][a-z0-9._-]*$")


def expression_field(name: str) -> Field | None:
    """The field for any ``expr_<GENE>`` column (``name`` already lower-cased), or None."""
    if name in FIELDS:
        return FIELDS[name] if name.startswith(EXPR_PREFIX) else None
    if not _GENE.match(name):
        return None
    gene = name[len(EXPR_PREFIX) :].upper()
    return Field(
        name,
        "number",
        f"{gene} expression, log2(TPM + 1)",
        "expression",
        minimum=0,
        maximum=30,
        unit="log2(TPM+1)",
        test=True,
    )


def field_for(name: str) -> Field | None:
    """The contract field called ``name`` (canonical, lower-case), or None."""
    return FIELDS.get(name) or expression_field(name)


MITOSES_BANDS = ("<2", "2-20", ">20")

# Immunohistochemistry markers scored positive / negative / equivocal.
MARKERS = tuple(MARKER_DESCRIPTIONS)
