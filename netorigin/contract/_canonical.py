"""The canonical table: a table already validated is taken as it is, anything else is validated.

"Already validated" is decided column by column, so that taking a table as it is never reads it
otherwise than validating it would: categories with the contract's categories, numbers as floats
in range, mitotic counts and identifiers as canonical text, the two labels in agreement, and no
column that validation would refuse (a near miss of a field, a field under another name). A table
that fails any of these is validated: its values read, or refused by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._columns import CaseColumns
from ._fields import DETAIL_TO_SITE, field_for

if TYPE_CHECKING:
    import pandas as pd


def as_canonical(X) -> pd.DataFrame | CaseColumns:
    """The canonical cases of ``X`` (anything :func:`read_canonical` takes): returned as they are
    when already validated, else validated (its notices dropped: :func:`read_canonical` keeps them)."""
    return read_canonical(X)[0]


def read_canonical(X) -> tuple[pd.DataFrame | CaseColumns, list | None]:
    """``(canonical cases, notices)`` of ``X``: a :class:`~netorigin.contract.ValidatedCohort`
    (its cases and notices), a canonical table or the :class:`CaseColumns` of a validated case
    (as they are; notices None: they were the validation's), a raw table in the contract
    (validated here: its notices), or a mapping of field -> value (one case, validated here)."""
    if isinstance(X, CaseColumns):
        return X, None
    from collections.abc import Mapping

    import pandas as pd

    from ._validation import ValidatedCohort, validate_case, validate_cohort

    if isinstance(X, ValidatedCohort):
        return X.cases, list(X.notices)
    if isinstance(X, Mapping):
        v = validate_case(X)
        return v.cases, v.notices
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            "expected cases in the contract (a pandas DataFrame, a ValidatedCohort, or a mapping of "
            f"field -> value for one case), got {type(X).__name__}"
        )
    if _is_canonical(X):
        return X, None
    v = validate_cohort(X, require_case_id=False)
    return v.table, v.notices


def _is_canonical(X: pd.DataFrame) -> bool:
    """Whether validating ``X`` would give ``X`` back (one pass over the dtypes; values only where
    the dtype cannot say: numbers' range, text, the labels)."""
    import pandas as pd

    names = list(X.columns)
    if len(set(names)) != len(names):
        return False
    if not all(isinstance(c, str) and c == c.lower() and c.strip() == c for c in names):
        return False
    dtypes = dict(zip(names, X.dtypes))  # no column access for the dtypes (fast for one case)
    numeric = []
    for c in names:
        f = field_for(c)
        if f is None:
            if not _carried(c, names):
                return False
        elif f.kind == "category":
            if not (isinstance(dtypes[c], pd.CategoricalDtype) and list(dtypes[c].categories) == list(f.values)):
                return False
        elif f.kind == "number":
            if not pd.api.types.is_float_dtype(dtypes[c]):
                return False
            numeric.append(c)
        elif not _canonical_text(X[c], f):
            return False
    return _in_range(X, numeric) and _labels_agree(X)


def _carried(name: str, names: list) -> bool:
    """Whether validation carries a column that is not a field (not a near miss of one, nor a
    field under another name)."""
    from ._validation import _unknown_column

    return _unknown_column(name, name, set(names), "carry", None) is None


def _canonical_text(col, f) -> bool:
    """A mitotic count or an identifier as validation writes it: text, each value its own reading
    (identifiers printable, so that none holds a character validation refuses)."""
    import pandas as pd

    values = col.dropna()
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        return False
    if f.kind == "text":
        return bool(values.map(str.isprintable).all())
    from ._values import parse_value

    return all(parse_value(f, v) == v for v in pd.unique(values))


def _labels_agree(X: pd.DataFrame) -> bool:
    """The site is the one the sub-site implies wherever a sub-site is given (validation fills a
    blank site from it, and refuses a contradiction)."""
    if "primary_site_detail" not in X.columns:
        return True
    detail = X["primary_site_detail"].astype(object)
    implied = detail.map(DETAIL_TO_SITE)
    given = implied.notna()
    if not given.any():
        return True
    if "primary_site" not in X.columns:
        return False
    return bool((X["primary_site"].astype(object)[given] == implied[given]).all())


def _in_range(X: pd.DataFrame, numeric) -> bool:
    """Typed input still gets its numbers checked (a fast min/max per column)."""
    if not numeric:
        return True
    values = X[numeric].to_numpy(dtype=float)
    for j, c in enumerate(numeric):
        v = values[:, j]
        f = field_for(c)
        if np.isinf(v).any():
            return False
        finite = v[~np.isnan(v)]
        if not len(finite):
            continue
        lo, hi = finite.min(), finite.max()
        if f.minimum is not None and (lo < f.minimum or (f.exclusive_minimum and lo <= f.minimum)):
            return False
        if f.maximum is not None and hi > f.maximum:
            return False
    return True
