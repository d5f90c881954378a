"""Checks and notices across a cohort: case ids (present, unique, usable), site labels (known, and
the sub-site consistent with the site), values read by a pathology rule, the extra columns."""

from __future__ import annotations

import numpy as np

from ..exceptions import Problem
from ._consistency import _rowtxt
from ._field_words import field_label, value_words
from ._fields import DETAIL_TO_SITE
from ._names import guess_field
from ._notice import Notice
from ._values import _as_text, _is_missing


def _case_id_labels(columns, names: list[str]) -> np.ndarray | None:
    if "case_id" not in names:
        return None
    col = columns[names.index("case_id")][1]
    return np.array([("" if _is_missing(v) else (_as_text(v) or "")) for v in col], dtype=object)


def _with_rows(prob: Problem, rows: np.ndarray, case_ids, cohort: bool) -> Problem:
    if not cohort:
        return prob
    ids = tuple(case_ids[rows[:6]]) if case_ids is not None else ()
    return Problem(
        prob.field, prob.value, prob.expected, tuple(int(r) + 1 for r in rows), ids, prob.suggestion, prob.detail
    )


def _check_case_ids(out, problems, require: bool, n: int) -> None:
    if not require:
        return
    if "case_id" not in out:
        problems.append(
            Problem(
                "case_id",
                None,
                "",
                location="header",
                detail="the cohort has no case_id column (required, one unique identifier per case)",
            )
        )
        return
    import pandas as pd

    ids = pd.Series(out["case_id"], dtype=object)
    missing = np.flatnonzero(ids.isna().to_numpy())
    if len(missing):
        problems.append(
            Problem(
                "case_id",
                "",
                "",
                tuple(int(r) + 1 for r in missing),
                detail="is blank; every case in a cohort needs a case_id",
            )
        )
    dup = ids[ids.duplicated(keep=False) & ids.notna()]
    for cid, grp in dup.groupby(dup, sort=True):
        rows = tuple(int(r) + 1 for r in grp.index)
        problems.append(
            Problem(
                "case_id", cid, "", rows, (cid,), detail=f"{cid!r} is used by {len(rows)} rows; case_ids must be unique"
            )
        )


def _check_labels(out, problems, notices, case_ids) -> None:
    if "primary_site_detail" not in out:
        return
    import pandas as pd

    detail = pd.Series(out["primary_site_detail"], dtype=object)
    implied = detail.map(DETAIL_TO_SITE)
    if "primary_site" in out:
        site = pd.Series(out["primary_site"], dtype=object)
        clash = site.notna() & implied.notna() & (site != implied)
        for (s, d), grp in site[clash].groupby([site[clash], detail[clash]]):
            rows = tuple(int(r) + 1 for r in grp.index)
            ids = tuple(case_ids[np.array(rows[:6]) - 1]) if case_ids is not None else ()
            problems.append(
                Problem(
                    "primary_site",
                    s,
                    "",
                    rows,
                    ids,
                    detail=f"{s!r} contradicts primary_site_detail {d!r} (which means {DETAIL_TO_SITE[d]!r})",
                )
            )
        fill = site.isna() & implied.notna()
    else:
        site = pd.Series([None] * len(detail), dtype=object)
        fill = implied.notna()
    if fill.any():
        site = site.where(~fill, implied)
        filled = site.to_numpy(dtype=object, copy=True)
        filled[pd.isna(filled)] = None
        out["primary_site"] = filled
        notices.append(
            Notice(
                "derived",
                f"primary_site filled from primary_site_detail in {int(fill.sum())} row(s)",
                ("primary_site", "primary_site_detail"),
                tuple(int(r) + 1 for r in np.flatnonzero(fill.to_numpy())[:20]),
            )
        )


def _read_as(f, raw, value, rule, rows, case_ids, n: int) -> Notice:
    unit = "%" if f.unit == "%" else f" {f.unit}" if f.unit else ""
    shown = (
        f"{value_words(f.name, value)} ({value})"
        if f.procedure
        else f"{value:g}{unit}"
        if isinstance(value, float)
        else value
    )
    said = f"{field_label(f.name)}: {str(raw).strip()!r} read as {shown} ({rule})"
    return Notice(
        "read_as",
        f"{_rowtxt(rows, case_ids)}: {said}" if n > 1 else said,
        (f.name,),
        tuple(int(r) + 1 for r in rows),
        case_text=said,
    )


def _extra_notices(extras: dict, out: dict) -> list[Notice]:
    """Said about the columns carried through: which they are, and the ones that look like a field."""
    if not extras:
        return []
    said = []
    for c in extras:
        g = guess_field(c, taken=set(out))
        if g is not None and g.field not in ("case_id", "primary_site", "primary_site_detail"):
            said.insert(
                0,
                Notice(
                    "unmapped_field",
                    f"column {c!r} looks like the contract field {g.field} "
                    f"(matched {g.how}) but is NOT used: the model sees {g.field} as not done. "
                    "Rename it, or map it (netorigin map suggest FILE)",
                    (c,),
                ),
            )
    return said + [
        Notice(
            "extra_columns",
            f"{len(extras)} column(s) not in the case contract carried through untouched: {', '.join(extras)}",
            tuple(extras),
        )
    ]
