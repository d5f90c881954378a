"""The case contract: every field netorigin knows, its values, units and synonyms.

This is the one place in the code that knows field names and values. Everything else
(validation, features, templates, documentation) reads it from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

SCHEMA_VERSION = "1"

# Tokens that mean "not done / not known", whatever the field (compared lower-cased and
# stripped). "none" is deliberately absent: it is a value of hormonal_syndrome.
MISSING_TOKENS = frozenset(
    {
        "",
        "na",
        "n/a",
        "n.a.",
        "nd",
        "n.d.",
        "not done",
        "not_done",
        "not-done",
        "not known",
        "unknown",
        "nk",
        "not available",
        "missing",
        "nan",
        "null",
        "?",
    }
)

SITES = ("ileal", "pancreatic", "other")

# The sub-sites of each site that the synthetic world and sub-site models know.
SUBSITES = {
    "ileal": ("ileum", "jejunum"),
    "pancreatic": ("pancreas",),
    "other": ("lung", "rectum", "colon", "caecum", "appendix", "stomach", "duodenum"),
}

# One spelling of the research notice, everywhere it is shown.
RESEARCH_NOTICE = "For research use only; trained on synthetic data; not validated on patients; not a medical device."


def research_notice(training_data: dict | None) -> str:
    """What a model is not, told truly: :data:`RESEARCH_NOTICE` for a model trained on synthetic
    cases; for one trained on a user's cohort, what it was trained on instead of "synthetic".

    >>> research_notice({"description": "file registry.csv", "n_labelled": 812})[:71]
    'For research use only; trained on file registry.csv (812 labelled cases'
    """
    td = training_data or {}
    desc = str(td.get("description") or "")
    if not desc or desc.startswith("synthetic"):
        return RESEARCH_NOTICE
    n = td.get("n_labelled")
    cases = f" ({n:,} labelled cases)" if isinstance(n, int) else ""
    return f"For research use only; trained on {desc}{cases}, not validated by netorigin; not a medical device."


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
    readings: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # wording -> (value, the rule)

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
        if hi is None:
            return f"a number {op} {_num(lo)}"
        if self.exclusive_minimum:
            return f"a number > {_num(lo)} and <= {_num(hi)}"
        return f"a number from {_num(lo)} to {_num(hi)}"


def _num(x: float | None) -> str:
    return f"{x:g}" if x is not None else ""


def _syn(groups: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for canonical, spellings in groups.items():
        out[canonical.lower()] = canonical
        for s in spellings:
            out[s.lower()] = canonical
    return out


_POS = ("pos", "+", "p", "y", "yes", "true", "t", "present", "positive (+)")
_NEG = ("neg", "-", "\u2212", "n", "no", "false", "f", "absent", "negative (-)")
_EQUIV = ("equiv", "indeterminate", "borderline", "weak/equivocal")
MARKER_SYNONYMS = _syn({"positive": _POS, "negative": _NEG, "equivocal": _EQUIV})
POSNEG_SYNONYMS = _syn({"positive": _POS, "negative": _NEG})
YESNO_SYNONYMS = _syn(
    {
        "yes": ("y", "true", "t", "1", "present", "+", "pos", "positive"),
        "no": ("n", "false", "f", "0", "absent", "-", "\u2212", "neg", "negative", "none"),
    }
)
SEX_SYNONYMS = _syn({"male": ("m", "man", "men"), "female": ("f", "woman", "w")})
LEVEL_SYNONYMS = _syn(
    {
        "elevated": ("high", "raised", "h", "increased", "elev", "above normal", "\u2191"),
        "normal": ("n", "wnl", "nl", "norm", "within normal limits", "within normal range"),
    }
)
DIFF_SYNONYMS = _syn(
    {
        "well": ("well differentiated", "well-differentiated", "wd", "well diff", "net"),
        "poor": ("poorly", "poorly differentiated", "poorly-differentiated", "pd", "nec"),
    }
)
GRADE_SYNONYMS = _syn(
    {
        f"G{k}": (
            f"g{k}",
            f"{k}",
            f"{k}.0",
            f"grade {k}",
            f"grade{k}",
            f"g {k}",
            f"grade g{k}",
            f"net g{k}",
            f"gr {k}",
            f"gr{k}",
            "i" * k,
        )
        for k in (1, 2, 3)
    }
)
# How pathology reports word a stain, read by a documented rule and shown back to the user
# (docs/contract.md). Focal, patchy, partial or diffuse staining is reported as positive by
# pathologists; weak (1+) staining is read as equivocal (weak CDX2 is a known pitfall in pancreatic
# NETs); neither is ever read as negative.
_POSITIVE_RULE = "focal, patchy, partial, diffuse, moderate, strong or 2+/3+ staining is positive"
_WEAK_RULE = "weak (1+) staining is read as equivocal, never as negative"
STAINING_READINGS = {
    **{
        w: ("positive", _POSITIVE_RULE)
        for w in (
            "focal",
            "focally positive",
            "focal positive",
            "positive (focal)",
            "patchy",
            "patchy positive",
            "partial",
            "partially positive",
            "diffuse",
            "diffusely positive",
            "diffuse positive",
            "strong",
            "strongly positive",
            "strong positive",
            "moderate",
            "moderately positive",
            "2+",
            "3+",
            "weakly positive",
            "positive (weak)",
            "focal strong",
            "diffuse strong",
        )
    },
    **{
        w: ("equivocal", _WEAK_RULE)
        for w in ("weak", "1+", "faint", "weak staining", "focal weak", "trace", "weakly", "very weak")
    },
}
_LOSS_RULE = "complete, partial, subclonal or heterogeneous loss of nuclear staining is loss"
LOSS_READINGS = {
    **{
        w: ("lost", _LOSS_RULE)
        for w in (
            "complete loss",
            "partial loss",
            "subclonal loss",
            "heterogeneous loss",
            "focal loss",
            "loss of expression",
            "lost expression",
        )
    },
    **{
        w: ("retained", "retained nuclear staining is retained")
        for w in ("retained expression", "intact expression", "wild type", "wt", "nuclear staining retained")
    },
}
DAXX_SYNONYMS = _syn(
    {
        "lost": ("loss", "deficient", "absent", "negative", "neg", "-"),
        "retained": ("intact", "preserved", "positive", "pos", "+", "normal", "wild-type"),
    }
)
HORMONAL_SYNONYMS = _syn(
    {
        "none": (
            "no",
            "n",
            "non-functioning",
            "non functioning",
            "nonfunctioning",
            "nf",
            "nonfunctional",
            "non-functional",
        ),
        "insulinoma": ("insulin",),
        "gastrinoma": ("gastrin", "zollinger-ellison", "zes"),
        "glucagonoma": ("glucagon",),
        "vipoma": ("vip",),
        "other": (),
    }
)
LESION_SYNONYMS = _syn(
    {
        "solitary": ("single", "one", "1", "unifocal"),
        "oligo": ("oligometastatic", "2-5", "2 to 5", "few"),
        "multiple": ("many", "diffuse", ">5", "> 5", "numerous", "multifocal", "innumerable"),
    }
)
SITE_SYNONYMS = _syn(
    {
        "ileal": (
            "ileum",
            "jejunum",
            "jejunal",
            "jejunoileal",
            "small intestine",
            "small intestinal",
            "small bowel",
            "si",
            "sbnet",
            "si-net",
        ),
        "pancreatic": ("pancreas", "panc", "pnet", "pannet", "pan-net"),
        "other": (),
    }
)
DETAIL_SYNONYMS = _syn(
    {
        "ileum": ("ileal", "terminal ileum"),
        "jejunum": ("jejunal",),
        "pancreas": ("pancreatic",),
        "lung": ("bronchus", "bronchial", "pulmonary", "lung/bronchus"),
        "rectum": ("rectal", "rectosigmoid"),
        "colon": ("colonic", "colorectal"),
        "caecum": ("cecum", "cecal", "caecal"),
        "appendix": ("appendiceal",),
        "stomach": ("gastric",),
        "duodenum": ("duodenal",),
        "other": (),
    }
)

MARKER_DESCRIPTIONS = {
    "ihc_chromogranin": "chromogranin A immunohistochemistry",
    "ihc_synaptophysin": "synaptophysin immunohistochemistry",
    "ihc_cdx2": "CDX2 (intestinal transcription factor); points to midgut",
    "ihc_ttf1": "TTF-1; points to lung",
    "ihc_isl1": "Islet-1; points to pancreas (also duodenum, rectum)",
    "ihc_pax8": "PAX8, polyclonal or clone MRQ-50 (cross-reacts with PAX6); points to pancreas",
    "ihc_pdx1": "PDX1; points to pancreas, stomach, duodenum",
    "ihc_satb2": "SATB2; points to rectum or appendix",
    "ihc_otp": "orthopedia homeobox (OTP); points to lung",
    "ihc_serotonin": "serotonin; enterochromaffin-cell (midgut) phenotype",
    "ihc_pr": "progesterone receptor; points to pancreas",
    "ihc_sstr2a": "somatostatin receptor 2A immunohistochemistry",
}

_CM = {"cm": 1.0, "mm": 0.1}
_AGE = {"y": 1.0, "yr": 1.0, "yrs": 1.0, "years": 1.0, "year": 1.0}
_PCT = {"%": 1.0}
_ULN = {"x": 1.0, "\u00d7": 1.0, "x uln": 1.0, "xuln": 1.0, "uln": 1.0}


def _build_fields() -> dict[str, Field]:
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

# Which value of a test counts as its "positive" finding (the one rule, used by profiles,
# summaries and the generator).
_POSITIVE_VALUE = {"ihc_daxx_atrx": "lost"}


def positive_value(name: str) -> str:
    """The value of test ``name`` that counts as its positive finding.

    >>> positive_value("ihc_cdx2"), positive_value("ihc_daxx_atrx")
    ('positive', 'lost')
    """
    return _POSITIVE_VALUE.get(name, "positive")


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
}

from .. import exceptions as _exceptions  # noqa: E402 - errors name a field in words too (Ki-67 (ki67_percent))

_exceptions.LABELS.update(FIELD_LABELS)


def field_label(name: str) -> str:
    """Plain words for a field (``expr_<gene>`` -> '<GENE> expression')."""
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    if name.startswith("expr_"):
        return f"{name[5:].upper()} expression"
    return name
