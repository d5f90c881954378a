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
    >>> "ihc_cdx2:" in text and "# one of positive, negative, equivocal, not_done" in text
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
