"""A commented YAML case with every contract field and its allowed values, ready to fill in."""

from __future__ import annotations

from ._fields import FIELDS, MISSING_TOKENS

__all__ = ["make_case_template"]

_GROUP_TITLES = {
    "id": "Identification",
    "clinical": "Clinical",
    "biochemistry": "Biochemistry",
    "pathology": "Pathology of the liver metastasis",
    "ihc": "Immunohistochemistry (positive, negative, equivocal, not_done)",
    "imaging": "Imaging",
    "molecular": "Molecular tests",
    "expression": "Gene expression, log2(TPM + 1); add any other gene as expr_<GENE>",
    "label": "Label (training data only; leave blank when scoring)",
}


def make_case_template() -> str:
    """The template text. Every field is present and left blank (= not done / not known).

    >>> text = make_case_template()
    >>> "ihc_cdx2:" in text and "one of positive, negative, equivocal, not_done" in text
    True
    """
    lines = [
        "# netorigin case: fill in what is known; leave blank (or write ND / not done) what was",
        "# not done. A blank is never read as negative.",
        "# Synonyms are accepted case-insensitively (+/-, pos/neg, M/F, y/n, high/raised, N/WNL,",
        "# 1/2/3 for grades); see `netorigin schema` for the full list.",
        f"# Words read as 'not done / not known': {', '.join(sorted(t for t in MISSING_TOKENS if t))}",
        "# For research use only; not a medical device.",
    ]
    group = None
    for f in FIELDS.values():
        if f.group != group:
            group = f.group
            lines += ["", f"# --- {_GROUP_TITLES.get(group, group)}"]
        unit = f" [{f.unit}]" if f.unit else ""
        lines.append(f"{f.name}:{' ' * max(1, 26 - len(f.name))}# {f.description}{unit}; {f.expected()}")
    return "\n".join(lines) + "\n"


def contract_markdown() -> str:
    """The case contract as a Markdown table: field, accepted values, unit, synonyms.

    >>> "| ihc_cdx2 |" in contract_markdown()
    True
    """
    rows = ["| field | accepts | unit | synonyms (case-insensitive) | description |",
            "|---|---|---|---|---|"]
    for f in FIELDS.values():
        syn = {}
        for spelling, canonical in f.synonyms.items():
            if spelling != canonical.lower():
                syn.setdefault(canonical, []).append(spelling)
        syntext = "; ".join(f"{c}: {', '.join(_md(s) for s in sorted(v))}" for c, v in syn.items())
        if f.unit_suffixes:
            syntext = (syntext + "; " if syntext else "") + "unit suffixes: " + ", ".join(sorted(f.unit_suffixes))
        rows.append(f"| {f.name} | {_md(f.expected())} | {f.unit or ''} | {syntext} | {f.description} |")
    rows.append("| expr_<GENE> | a number from 0 to 30 | log2(TPM+1) | | any other gene's expression |")
    missing = ", ".join(f"`{t}`" for t in sorted(MISSING_TOKENS) if t)
    return "\n".join(rows) + f"\n\nRead as not done / not known in every field: a blank cell, {missing}.\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
