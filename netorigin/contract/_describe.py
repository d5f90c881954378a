"""A Table-1 style summary of a validated cohort. Every figure is computed from the data.

Examples
--------
>>> from netorigin.io import load_seed_cohort
>>> summary = describe_cohort(load_seed_cohort())
>>> summary["n"], summary["numeric"]["age_years"]["median"]
(7, 50.0)
>>> summary["markers"]["ihc_cdx2"]["positive"], summary["markers"]["ihc_cdx2"]["tested"]
(3, 7)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

from ._fields import field_for
from ._grades import mitoses_band_index
from ._validation import ValidatedCohort, validate_cohort
from ._vocabulary import positive_value


def _numeric_summary(x: np.ndarray, n: int) -> dict[str, Any]:
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return {"n": 0, "missing": n, "median": None, "min": None, "max": None, "mean": None}
    return {
        "n": int(len(x)),
        "missing": int(n - len(x)),
        "median": float(np.median(x)),
        "min": float(x.min()),
        "max": float(x.max()),
        "mean": float(x.mean()),
    }


def _counts(col: pd.Series, values: list[str] | None) -> dict[str, Any]:
    vals = col.astype(object)
    present = vals[vals.notna()]
    order = values if values is not None else sorted(present.astype(str).unique())
    counts = {v: int((present == v).sum()) for v in order}
    return {"counts": counts, "missing": int(vals.isna().sum())}


def _as_numbers(col: pd.Series) -> np.ndarray | None:
    """The column as floats when every non-blank value is a number, else None."""
    s = col.astype(object)
    blank = s.isna() | (s.astype(str).str.strip() == "")
    import pandas as pd

    nums = pd.to_numeric(s.where(~blank), errors="coerce")
    if nums[~blank].isna().any() or (~blank).sum() == 0:
        return None
    return nums.to_numpy(dtype=float)


def describe_cohort(cohort) -> dict[str, Any]:
    """Summarise a cohort: n, numeric fields, categorical fields, markers, other columns.

    Returns a plain dict (JSON-serialisable):

    - ``numeric``: field -> n, missing, median, min, max, mean
    - ``categorical``: field -> counts of each contract value (zeros included), missing
    - ``markers``: IHC/ALT/SSTR field -> positive, negative, equivocal, tested, not_done
    - ``procedures``: procedure -> negative, seen, confirmed (lesions, any place), done, not_done,
      counts of each value
    - ``other_numeric``: extra columns whose values are all numbers (outcomes such as PFS,
      OS) -> median, min, max...
    - ``other_categorical``: other extra columns -> counts of each value

    Parameters
    ----------
    cohort : ValidatedCohort or DataFrame
        A validated cohort, or a table in the contract (validated here; ``case_id`` optional).

    Returns
    -------
    dict
        As above.
    """
    if not isinstance(cohort, ValidatedCohort):
        cohort = validate_cohort(cohort, require_case_id=False)
    t = cohort.table
    n = len(t)
    out: dict[str, Any] = {
        "n": n,
        "numeric": {},
        "categorical": {},
        "markers": {},
        "procedures": {},
        "other_numeric": {},
        "other_categorical": {},
    }
    for name in cohort.contract_columns:
        f = field_for(name)
        if f is None or name == "case_id":
            continue
        col = t[name]
        if f.kind == "number":
            out["numeric"][name] = _numeric_summary(col.to_numpy(dtype=float), n)
        elif f.kind == "mitoses":
            out["categorical"][name] = _counts(_mitoses_bands(col), ["<2", "2-20", ">20"])
        elif f.procedure:
            c = _counts(col, list(f.values))
            counts = c["counts"]
            out["procedures"][name] = {
                "negative": counts["negative"],
                "seen": sum(k for v, k in counts.items() if v.startswith("seen_")),
                "confirmed": sum(k for v, k in counts.items() if v.startswith("confirmed_")),
                "done": int(n - c["missing"]),
                "not_done": c["missing"],
                "counts": counts,
            }
        elif f.not_done_allowed:
            c = _counts(col, list(f.values))
            counts = c["counts"]
            pos = counts.get(positive_value(name), 0)
            out["markers"][name] = {
                **counts,
                "positive": pos,
                "tested": int(n - c["missing"]),
                "not_done": c["missing"],
            }
        else:
            out["categorical"][name] = _counts(col, list(f.values))
    for name in cohort.extra_columns:
        nums = _as_numbers(t[name])
        if nums is not None:
            out["other_numeric"][name] = _numeric_summary(nums, n)
        else:
            blank = t[name].astype(object).where(t[name].astype(str).str.strip() != "")
            out["other_categorical"][name] = _counts(blank, None)
    return out


def _mitoses_bands(col: pd.Series) -> pd.Series:
    idx = mitoses_band_index(col)
    labels = np.array(["<2", "2-20", ">20"], dtype=object)
    import pandas as pd

    return pd.Series([labels[int(i)] if not np.isnan(i) else None for i in idx], dtype=object)
