"""Which contract field a column name means: normalised matching (case, punctuation, hyphens,
spaces, a unit written into the name such as "(mm)") and a curated list of the names people
give each field. Every guess says what it was matched on.

>>> guess_field("CDX-2").field, guess_field("Islet1").field, guess_field("No. liver mets").field
('ihc_cdx2', 'ihc_isl1', 'liver_lesions')
>>> g = guess_field("Largest met (mm)"); (g.field, g.unit)
('largest_liver_lesion_cm', 'mm')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._field_words import FIELD_LABELS
from ._fields import FIELDS
from ._procedures import PROCEDURES

# The names people give each field, besides its own name and label (curated; compared after
# normalising). Markers also match their bare name with any punctuation ("CDX-2", "PAX 8").
FIELD_SYNONYMS = {
    "case_id": ["patient id", "case id", "patient", "id", "subject", "record id", "sample id", "study id"],
    "age_years": ["age", "age at diagnosis", "age at dx", "age years"],
    "sex": ["sex", "gender"],
    "carcinoid_syndrome": [
        "carcinoid",
        "flushing",
        "diarrhoea",
        "diarrhea",
        "flushing diarrhoea",
        "flushing diarrhea",
        "flush",
    ],
    "hormonal_syndrome": ["functional syndrome", "hormonal syndrome", "functioning", "hormone syndrome"],
    "serum_cga": ["cga", "chromogranin a serum", "serum chromogranin", "plasma cga", "serum cga", "s cga"],
    "urine_5hiaa": ["5hiaa", "5 hiaa", "hiaa", "u5hiaa", "urinary 5hiaa"],
    "differentiation": [
        "histology",
        "differentiation",
        "histological type",
        "morphology",
        "tumour type",
        "tumor type",
        "histotype",
    ],
    "grade": ["who grade", "tumour grade", "tumor grade", "grade who"],
    "ki67_percent": ["ki67", "ki 67", "mib1", "mib 1", "ki67 index", "proliferation index"],
    "mitoses_per_2mm2": ["mitoses", "mitotic count", "mitotic", "mitotic index", "mitoses hpf"],
    "ihc_chromogranin": ["chromogranin ihc", "cga ihc", "chromogranin stain"],
    "ihc_synaptophysin": ["synaptophysin", "syn", "synapto"],
    "ihc_isl1": ["islet1", "islet 1", "isl 1", "isl1"],
    "ihc_ttf1": ["ttf 1", "ttf1", "nkx2 1", "nkx21"],
    "ihc_cdx2": ["cdx 2", "cdx2"],
    "ihc_pax8": ["pax 8", "pax8"],
    "ihc_pdx1": ["pdx 1", "pdx1"],
    "ihc_satb2": ["satb 2", "satb2"],
    "ihc_pr": ["progesterone receptor", "pgr", "pr ihc"],
    "ihc_sstr2a": ["sstr2a", "sstr2", "sstr 2a", "sst2a"],
    "ihc_serotonin": ["serotonin", "5ht", "5 ht"],
    "ihc_daxx_atrx": ["daxx", "atrx", "daxx atrx"],
    "mesenteric_mass": [
        "mesenteric fibrosis",
        "mesenteric mass",
        "mesentery",
        "mesenteric lymph node mass",
        "mesenteric",
    ],
    "liver_lesions": [
        "liver lesions",
        "number of liver lesions",
        "liver metastases",
        "liver mets",
        "hepatic lesions",
        "hepatic metastases",
        "n liver mets",
        "no liver mets",
    ],
    "largest_liver_lesion_cm": [
        "largest liver lesion",
        "largest lesion",
        "lesion size",
        "largest met",
        "largest metastasis",
        "largest liver met",
        "max lesion",
        "size of largest lesion",
    ],
    "bone_metastases": ["bone mets", "bone metastases", "skeletal metastases", "bone"],
    "sstr_imaging": [
        "sstr imaging",
        "octreoscan",
        "dotatate",
        "dotatoc",
        "ga68",
        "sstr pet",
        "somatostatin receptor imaging",
        "dota pet",
    ],
    "alt_status": ["alt", "telomere", "alt fish", "telomere fish"],
    "primary_site_detail": [
        "primary site",
        "primary tumour site",
        "primary tumor site",
        "site of primary",
        "primary",
        "origin",
        "primary origin",
    ],
}

FIELD_SYNONYMS.update({p.name: list(p.column_names) for p in PROCEDURES.values()})

_UNIT = re.compile(r"[\(\[]\s*(mm|cm|%|years?|yrs?|x\s*uln|uln)\s*[\)\]]|\b(mm|cm)\b\s*$", re.IGNORECASE)


def tokens(text: str) -> list[str]:
    """Lower-case words of a name, punctuation and hyphens as spaces."""
    return re.sub(r"[^a-z0-9]+", " ", str(text).lower()).split()


def compact(text: str) -> str:
    """A name with case, punctuation, hyphens and spaces removed ("CDX-2" -> "cdx2")."""
    return "".join(tokens(text))


@dataclass(frozen=True)
class Guess:
    """A column name read as a contract field: ``how`` it was matched (for the user to judge)
    and the unit written into the name, if any."""

    field: str
    how: str
    exact: bool  # the field's own name or label once case, punctuation and spaces are set aside
    unit: str | None = None
    score: float = 0.0


def _names(name: str) -> list[tuple[str, bool]]:
    """(name, is it the field's own name or label) for every name of a field."""
    own = [name.replace("_", " "), FIELD_LABELS.get(name, name)]
    for prefix in ("ihc_", "expr_", "proc_"):
        if name.startswith(prefix):
            own.append(name[len(prefix) :])
    return [(n, True) for n in own] + [(n, False) for n in FIELD_SYNONYMS.get(name, [])]


_INDEX = {name: [(n, own, tokens(n), compact(n)) for n, own in _names(name) if tokens(n)] for name in FIELDS}


def guess_field(column: str, taken=frozenset()) -> Guess | None:
    """The contract field ``column`` most likely means (not one of ``taken``), or None."""
    text = str(column)
    unit_match = _UNIT.search(text)
    unit = None
    if unit_match:
        unit = (unit_match.group(1) or unit_match.group(2)).lower().replace(" ", "")
        text = text[: unit_match.start()] + text[unit_match.end() :]
    toks, whole = set(tokens(text)), compact(text)
    if not whole:
        return None
    best = None
    for name, names in _INDEX.items():
        if name in taken:
            continue
        for said, own, ts, comp in names:
            if comp == whole:
                kind = "its name" if own else "the synonym"
                score, how, exact = (
                    100 + len(comp) + own,
                    f"{kind} {said!r}, ignoring case, punctuation and spaces",
                    own,
                )
            elif set(ts) <= toks:
                score, how, exact = len(ts) + len(comp) / 100, f"the word(s) {said!r} in the name", False
            else:
                continue
            if best is None or score > best.score:
                best = Guess(name, how, exact, unit, score)
    return best


# Words that qualify a field's name without naming another thing ("CDX2 IHC", "Ki-67 result").
_QUALIFIERS = frozenset(
    "ihc status result results value values level test stain staining score percent pct expression expr serum "
    "urine plasma imaging scan marker index count number no n of the at dx diagnosis".split()
)


def same_field_under_another_name(column: str, taken=frozenset()) -> Guess | None:
    """The contract field ``column`` is, when every word of the name belongs to that field's names
    (or is a qualifier such as "ihc", "result", "status"): "cdx2_ihc", "CDX-2", "Grade (WHO)".
    A name with a word of its own ("ki67_method", "grade_notes") is not: it may be another thing."""
    g = guess_field(column, taken)
    if g is None:
        return None
    text = _UNIT.sub(" ", str(column))
    vocabulary = {t for _, _, ts, comp in _INDEX[g.field] for t in (*ts, comp)}
    words = tokens(text)
    return g if words and all(w in vocabulary or w in _QUALIFIERS for w in words) else None
