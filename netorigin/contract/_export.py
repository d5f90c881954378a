"""A commented YAML case with every contract field and its allowed values, ready to fill in."""

from __future__ import annotations

from ._fields import FIELDS
from ._notice import RESEARCH_NOTICE
from ._procedures import PROCEDURE_RULE
from ._vocabulary import MISSING_TOKENS

_GROUP_TITLES = {
    "id": "Identification",
    "clinical": "Clinical",
    "biochemistry": "Biochemistry",
    "pathology": "Pathology of the liver metastasis",
    "ihc": "Immunohistochemistry (positive, negative, equivocal, not_done)",
    "imaging": "Imaging",
    "molecular": "Molecular tests",
    "expression": "Gene expression, log2(TPM + 1); add any other gene as expr_<GENE>",
    "procedure": "Procedures that looked for the primary: negative, seen_<where> (not confirmed) or "
    "confirmed_<where>\n#     (histology); blank = not done, never negative",
    "label": "Label (training data only; leave blank when scoring)",
}


def make_case_template() -> str:
    """The template text. Every field is present and left blank (= not done / not known).

    Returns
    -------
    str
        YAML text.

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
        f"# {RESEARCH_NOTICE}",
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
    rows = ["| field | accepts | unit | synonyms (case-insensitive) | description |", "|---|---|---|---|---|"]
    for f in FIELDS.values():
        syn = {}
        for spelling, canonical in f.synonyms.items():
            if spelling != canonical.lower():
                syn.setdefault(canonical, []).append(spelling)
        syntext = "; ".join(f"{c}: {', '.join(_md(s) for s in sorted(v))}" for c, v in syn.items())
        if f.unit_suffixes:
            syntext = (syntext + "; " if syntext else "") + "unit suffixes: " + ", ".join(sorted(f.unit_suffixes))
        if f.kind == "number" and f.readings:  # "<1" (also "< 1 %", "less than 1", "below 1") read as one value
            below = ", ".join(f"{_md(k)} as {v:g}" for k, (v, _) in f.readings.items())
            syntext += f"; below a bound (also written 'less than', 'below'): {below}"
        rows.append(f"| {f.name} | {_md(f.expected())} | {f.unit or ''} | {syntext} | {f.description} |")
    rows.append("| expr_<GENE> | a number from 0 to 30 | log2(TPM+1) | | any other gene's expression |")
    missing = ", ".join(f"`{t}`" for t in sorted(MISSING_TOKENS) if t)
    return (
        "\n".join(rows)
        + f"\n\nRead as not done / not known in every field: a blank cell, {missing}.\n"
        + f'\nA procedure\'s result in other words ("EUS: pancreatic tail lesion", "biopsy-proven rectal NET") '
        f"is read by a rule and shown back: {PROCEDURE_RULE}; a place the procedure cannot see, or a negation "
        'together with a place ("no pancreatic lesion"), is refused. "none" is refused too: none done, or none '
        "seen?\n"
    )


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _below_pattern(f) -> str:
    """A number field's "below x" readings ("<1", "< 1 %", "less than 1") as a JSON Schema pattern."""
    bounds = "|".join(k[1:] for k in f.readings)
    return rf"^\s*(<|[Ll]ess than|[Bb]elow)\s*({bounds})(\.0*)?\s*%?\s*$"


def contract_json_schema() -> dict:
    """The case contract as a JSON Schema (draft 2020-12) for one case: fields, types, allowed
    values (canonical, synonyms and "not done" words), units and descriptions.

    >>> schema = contract_json_schema()
    >>> schema["properties"]["ihc_cdx2"]["description"].startswith("CDX2")
    True
    """
    from ._fields import SCHEMA_VERSION

    missing = sorted(t for t in MISSING_TOKENS if t)
    missing = sorted(set(missing) | {t.upper() for t in missing} | {t.title() for t in missing})
    props = {}
    for f in FIELDS.values():
        desc = f.description + (f" [{f.unit}]" if f.unit else "")
        if f.kind == "category":
            spellings = set(f.values) | set(f.synonyms) | {v.lower() for v in f.values}
            spellings |= {s.upper() for s in spellings} | {s.title() for s in spellings}
            allowed = sorted(spellings | {"not_done"} | set(missing))
            props[f.name] = {
                "description": desc,
                "x-canonical-values": list(f.allowed),
                "anyOf": [
                    {"type": "string", "enum": allowed},
                    {"type": "null"},
                    {"type": "boolean"},
                    {"type": "integer"},
                ],
            }
        elif f.kind == "number":
            num = {"type": "number"}
            if f.minimum is not None:
                num["exclusiveMinimum" if f.exclusive_minimum else "minimum"] = f.minimum
            if f.maximum is not None:
                num["maximum"] = f.maximum
            below = [{"type": "string", "pattern": _below_pattern(f)}] if f.readings else []
            props[f.name] = {
                "description": desc,
                "anyOf": [num, {"type": "null"}, {"type": "string", "enum": missing}, *below],
            }
        elif f.kind == "mitoses":
            props[f.name] = {
                "description": desc,
                "anyOf": [
                    {"type": "number", "minimum": 0},
                    {"type": "string", "enum": ["<2", "2-20", ">20"] + missing},
                    {"type": "null"},
                ],
            }
        else:
            props[f.name] = {"description": desc, "type": ["string", "integer", "null"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"netorigin case (contract schema {SCHEMA_VERSION})",
        "description": "One case: a mapping of field -> value. Blank or absent = not done / not known. "
        "Other keys are carried through untouched. " + RESEARCH_NOTICE,
        "type": "object",
        "properties": props,
        "patternProperties": {
            "^expr_[A-Za-z0-9][A-Za-z0-9._-]*$": {
                "anyOf": [{"type": "number", "minimum": 0, "maximum": 30}, {"type": "null"}]
            }
        },
    }


def contract_csv() -> str:
    """The case contract as CSV: field, kind, allowed values, unit, minimum, maximum, synonyms, description."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["field", "kind", "allowed", "unit", "minimum", "maximum", "synonyms", "description"])
    for f in FIELDS.values():
        syn = "; ".join(f"{s}={c}" for s, c in sorted(f.synonyms.items()) if s != c.lower())
        w.writerow(
            [
                f.name,
                f.kind,
                "|".join(f.allowed),
                f.unit or "",
                "" if f.minimum is None else f.minimum,
                "" if f.maximum is None else f.maximum,
                syn,
                f.description,
            ]
        )
    return buf.getvalue()
