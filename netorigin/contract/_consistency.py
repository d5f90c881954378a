"""Warnings about values that are each valid but disagree (a grade lower than its Ki-67, a
syndrome with normal 5-HIAA), cases outside or at the edge of the intended use, and the rows they
concern as numbered in the file."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ._field_words import field_label
from ._grades import grade_from_ki67, mitoses_band_index
from ._notice import Notice
from ._procedures import PROCEDURE_FIELDS, value_subsites
from ._values import _GRADE_NUMBER


def _consistency_notices(out: Mapping[str, np.ndarray], case_ids, n: int) -> list[Notice]:
    # long: a list of independent consistency rules, a few lines each, read top to bottom
    notices: list[Notice] = []

    def num(name):
        return out[name] if name in out else np.full(n, np.nan)

    def cat(name):
        return out[name] if name in out else np.full(n, None, dtype=object)

    def add(kind, mask, text, fields):
        """A notice in plain words (its fields by their labels); the cohort's line of an
        inconsistency also names the columns to look at in the file; what is said with a case never
        does."""
        rows = np.flatnonzero(mask)
        if len(rows):
            columns = f"; columns {', '.join(fields)}" if kind == "inconsistent" else ""
            notices.append(
                Notice(
                    kind,
                    text.format(n=len(rows), rows=_rowtxt(rows, case_ids)) + columns,
                    fields,
                    tuple(int(r) + 1 for r in rows),
                    case_text=text.replace("{rows}: ", "", 1),
                )
            )

    grade = np.array([_GRADE_NUMBER.get(v, np.nan) for v in cat("grade")], dtype=float)
    g_ki = grade_from_ki67(num("ki67_percent"))
    g_mi = (mitoses_band_index(out["mitoses_per_2mm2"]) + 1) if "mitoses_per_2mm2" in out else np.full(n, np.nan)
    evidence = np.fmax(g_ki, g_mi)
    ki67, mitoses = field_label("ki67_percent"), field_label("mitoses_per_2mm2")
    add(
        "inconsistent",
        grade < evidence,
        f"{{rows}}: the grade is lower than the {ki67} or the {mitoses} implies by the WHO 2019 cut-offs "
        f"({ki67} below 3% and fewer than 2 mitoses per 2 mm2 is G1, 3-20% or 2-20 is G2, above 20 is G3)",
        ("grade", "ki67_percent", "mitoses_per_2mm2"),
    )
    both = ~np.isnan(g_ki) & ~np.isnan(g_mi)
    add(
        "inconsistent",
        both & (grade > evidence),
        f"{{rows}}: the grade is higher than both the {ki67} and the {mitoses} imply by the WHO 2019 cut-offs",
        ("grade", "ki67_percent", "mitoses_per_2mm2"),
    )
    add(
        "inconsistent",
        (cat("carcinoid_syndrome") == "yes") & (cat("urine_5hiaa") == "normal"),
        f"{{rows}}: {field_label('carcinoid_syndrome')} recorded with a normal {field_label('urine_5hiaa')}",
        ("carcinoid_syndrome", "urine_5hiaa"),
    )
    for base in ("serum_cga", "urine_5hiaa"):
        level, fold = cat(base), num(base + "_x_uln")
        add(
            "inconsistent",
            ((level == "normal") & (fold > 1)) | ((level == "elevated") & (fold <= 1)),
            "{rows}: " + f"{field_label(base)} is recorded as normal or elevated against its own value in multiples of "
            "the upper limit of normal (elevated means above 1 x ULN)",
            (base, base + "_x_uln"),
        )
    places = _confirmed_places(out, n)
    add(
        "inconsistent",
        np.array([len(p) > 1 for p in places], dtype=bool),
        "{rows}: two procedures confirm primaries in different places (histology of each): both cannot be "
        "the primary; check the reports",
        tuple(f for f in PROCEDURE_FIELDS if f in out),
    )
    add(
        "out_of_scope",
        cat("differentiation") == "poor",
        "{rows}: poorly differentiated: "
        "neuroendocrine carcinoma is outside netorigin's intended use (well-differentiated NET "
        "only)",
        ("differentiation",),
    )
    add(
        "intended_use",
        (cat("differentiation") != "poor") & ((grade == 3) | (num("ki67_percent") > 20)),
        "{rows}: NET G3 / Ki-67 above 20% is at the edge of the intended use: few such cases inform the model",
        ("grade", "ki67_percent"),
    )
    return notices


def _confirmed_places(out: Mapping[str, np.ndarray], n: int) -> list[set]:
    """Per case, the sets of sub-sites its procedures confirm, merged where they overlap (a
    capsule's small bowel and a colonoscopy's terminal ileum are one place)."""
    found: list[list[set]] = [[] for _ in range(n)]
    for f in PROCEDURE_FIELDS:
        if f not in out:
            continue
        for i, v in enumerate(out[f]):
            if isinstance(v, str) and v.startswith("confirmed_"):
                found[i].append(set(value_subsites(v)[1]))
    merged = []
    for sets in found:
        groups: list[set] = []
        for s in sets:
            hit = [g for g in groups if g & s]
            for g in hit:
                groups.remove(g)
                s = s | g
            groups.append(s)
        merged.append(groups)
    return merged


def renumber_notices(notices: list, row_numbers, case_ids) -> list:
    """The notices of a table validated after some rows were set aside, their text quoting the rows
    as numbered in the file (``row_numbers``: the file's row number of each table row) instead of
    their place in what was left. ``rows`` (places in the table, used to find each row's warnings)
    are kept."""
    out = []
    numbers = np.asarray(row_numbers)
    for n in notices:
        if n.rows and n.case_text is not None:
            at = np.asarray(n.rows, dtype=int) - 1
            old = _rowtxt(at, case_ids)
            if n.message.startswith(old + ": "):
                n = Notice(
                    n.kind,
                    _rowtxt(at, case_ids, numbers) + ": " + n.message[len(old) + 2 :],
                    n.fields,
                    n.rows,
                    n.case_text,
                )
        out.append(n)
    return out


def _rowtxt(rows: np.ndarray, case_ids, numbers=None) -> str:
    shown = []
    for r in rows[:5]:
        cid = case_ids[r] if case_ids is not None else ""
        shown.append(f"{r + 1 if numbers is None else numbers[r]}" + (f" ({cid})" if cid else ""))
    more = f" and {len(rows) - 5:,} more" if len(rows) > 5 else ""
    if len(rows) == 1 and case_ids is None and rows[0] == 0:
        return "case"
    return ("row " if len(rows) == 1 else f"{len(rows):,} rows: ") + ", ".join(shown) + more
