"""The words of the case contract: synonyms of each value, pathology wordings read by a documented
rule, marker descriptions and unit suffixes (the fields themselves are in _fields.py)."""

from __future__ import annotations

from collections.abc import Mapping


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


# A Ki-67 index written as "below x%" ("<1%", as reports write it) is read as one value: of the values
# below x%, the one whose answer is closest to the answer for "below x%" itself (the exact
# posterior of the literature's cells, which is what the synthetic training cases follow: the
# Kullback-Leibler divergence from the answer for "below x%" is smallest at these values under each
# named setting, 0.0007-0.0021 for <1 where x/2 gives 0.009-0.028; checked by
# tests/test_contract.py::test_a_ki67_below_a_bound_reads_as_the_value_whose_answer_is_closest). Any
# value below 3% is grade G1, so these readings never change a grade; other bounds ("<5", "<10") span
# two grades and are refused: the number is needed.
KI67_BELOW = {1: 0.4, 2: 0.6, 3: 0.7}
KI67_READINGS = {
    f"<{bound}": (value, f"of the values below {bound}%, the one whose answer is closest to that of 'below {bound}%'")
    for bound, value in KI67_BELOW.items()
}


_ULN = {"x": 1.0, "\u00d7": 1.0, "x uln": 1.0, "xuln": 1.0, "uln": 1.0}


# Which value of a test counts as its "positive" finding (the one rule, used by profiles,
# summaries and the generator).
_POSITIVE_VALUE = {"ihc_daxx_atrx": "lost"}


def positive_value(name: str) -> str:
    """The value of test ``name`` that counts as its positive finding.

    >>> positive_value("ihc_cdx2"), positive_value("ihc_daxx_atrx")
    ('positive', 'lost')
    """
    return _POSITIVE_VALUE.get(name, "positive")


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
