"""Canonical columns, with or without pandas.

A validated cohort is a pandas table (categoricals with the contract's categories, floats, NaN
for not done). A single case validated for scoring does not need pandas: building a one-row
table of sixty categoricals costs more than scoring the case. :class:`CaseColumns` holds the
same canonical values as NumPy arrays (floats with NaN for numbers; objects with None for
categories, bands and text), and the accessors below read either form, so that every step from
features to the report runs the same code on one case and on a cohort.
"""

from __future__ import annotations

import numpy as np

from ._fields import FIELDS

_CODE_OF = {name: {v: i for i, v in enumerate(f.values)} for name, f in FIELDS.items() if f.kind == "category"}


class CaseColumns:
    """Canonical columns as NumPy arrays (what :func:`validate_case` gives for scoring).

    Reads like the canonical table where scoring reads it: ``len()`` is the number of cases,
    ``columns`` the field names in contract order, ``cols[name]`` a column's array.
    :meth:`to_frame` builds the canonical pandas table (the same dtypes as validation's).
    """

    __slots__ = ("_data", "_n", "columns")

    def __init__(self, data: dict[str, np.ndarray], n: int):
        self._data = data
        self._n = n
        self.columns = list(data)

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, name: str) -> np.ndarray:
        return self._data[name]

    def __repr__(self) -> str:
        return f"CaseColumns({self._n} case(s), {len(self.columns)} column(s))"

    @classmethod
    def concat(cls, parts: list[CaseColumns]) -> CaseColumns:
        """Cases one after another (a column a case does not have is "not done" for it)."""
        n = sum(len(p) for p in parts)
        names = list(dict.fromkeys(c for p in parts for c in p.columns))
        order = (
            [c for c in FIELDS if c in names]
            + sorted(c for c in names if c not in FIELDS and c.startswith("expr_"))
            + [c for c in names if c not in FIELDS and not c.startswith("expr_")]
        )
        data = {}
        for c in order:
            arrays = [p[c] if c in p.columns else None for p in parts]
            numeric = all(a is None or a.dtype.kind == "f" for a in arrays)
            out = np.full(n, np.nan) if numeric else np.full(n, None, dtype=object)
            at = 0
            for p, a in zip(parts, arrays):
                if a is not None:
                    out[at : at + len(p)] = a
                at += len(p)
            data[c] = out
        return cls(data, n)

    @classmethod
    def edited(cls, table, rows, edits: list[dict]) -> CaseColumns:
        """The cases of ``table`` (canonical: a table or columns) at ``rows``, each with the values
        of its ``edits`` entry written in (canonical values: a category's value, a number): what a
        user gets by entering a result into the case and scoring it again.

        >>> base = CaseColumns({"ihc_cdx2": np.array([None], dtype=object), "age_years": np.array([60.0])}, 1)
        >>> e = CaseColumns.edited(base, [0, 0], [{"ihc_cdx2": "positive"}, {"expr_cd302": 12.5}])
        >>> e["ihc_cdx2"].tolist(), e["age_years"].tolist(), e["expr_cd302"].tolist()
        (['positive', None], [60.0, 60.0], [nan, 12.5])
        """
        rows = np.asarray(rows, dtype=np.intp)
        if len(rows) != len(edits):
            raise ValueError(f"{len(rows)} rows but {len(edits)} edits")
        names = list(table.columns) + sorted({k for e in edits for k in e} - set(table.columns))
        data = {}
        for name in names:
            f = FIELDS.get(name)
            numeric = (f is not None and f.kind == "number") or (f is None and str(name).startswith("expr_"))
            base = column_numbers(table, name) if numeric else column_values(table, name)
            data[name] = base[rows] if len(rows) else base[:0].copy()
        for k, e in enumerate(edits):
            for name, value in e.items():
                data[name][k] = value
        return cls(data, len(rows))

    def to_frame(self):
        """The pandas table of these columns (pandas imported here, only when asked)."""
        import pandas as pd

        index = pd.RangeIndex(self._n)
        return pd.DataFrame({n: to_series(n, v, index) for n, v in self._data.items()}, index=index)


def to_array(name: str, parsed: np.ndarray) -> np.ndarray:
    """A parsed column (objects, None for missing) in canonical array form."""
    f = FIELDS.get(name)
    if (f is not None and f.kind == "number") or (f is None and name.startswith("expr_")):
        return np.array([np.nan if v is None else v for v in parsed], dtype=float) if len(parsed) else np.empty(0)
    out = np.empty(len(parsed), dtype=object)
    out[:] = list(parsed)
    return out


def to_series(name: str, arr: np.ndarray, index):
    """A canonical array as the canonical table's column (categoricals with fixed categories)."""
    import pandas as pd

    f = FIELDS.get(name)
    if arr.dtype.kind == "f":
        return pd.Series(arr, index=index, name=name)
    if f is not None and f.kind == "category":
        return pd.Series(pd.Categorical(arr, categories=list(f.values)), index=index, name=name)
    obj = np.array([np.nan if v is None else v for v in arr], dtype=object)
    return pd.Series(obj, index=index, name=name, dtype=object)


def column_numbers(table, name: str) -> np.ndarray:
    """A numeric column as floats (NaN: not done, or the column absent)."""
    if name not in table.columns:
        return np.full(len(table), np.nan)
    col = table[name]
    if isinstance(col, np.ndarray):
        return col if col.dtype.kind == "f" else np.array([np.nan if v is None else v for v in col], dtype=float)
    return col.to_numpy(dtype=float, na_value=np.nan)


def column_codes(table, name: str) -> np.ndarray | None:
    """A category column as codes into ``FIELDS[name].values`` (-1: not done); None when absent."""
    if name not in table.columns:
        return None
    col = table[name]
    if isinstance(col, np.ndarray):
        code = _CODE_OF[name]
        return np.array([code.get(v, -1) for v in col], dtype=np.int64)
    if getattr(col.dtype, "name", "") != "category":
        return None
    return col.cat.codes.to_numpy()


def column_values(table, name: str) -> np.ndarray:
    """A column's canonical values as objects (None: not done, or the column absent)."""
    if name not in table.columns:
        return np.full(len(table), None, dtype=object)
    col = table[name]
    if isinstance(col, np.ndarray):
        if col.dtype.kind == "f":
            out = col.astype(object)
            out[np.isnan(col)] = None
            return out
        return col
    import pandas as pd  # a pandas column: pandas is already imported

    out = col.to_numpy(dtype=object, copy=True)
    out[pd.isna(out)] = None
    return out


def recorded_mask(table, names) -> np.ndarray:
    """(n, len(names)) True where the case has a value (absent columns: False)."""
    names = list(names)
    out = np.zeros((len(table), len(names)), dtype=bool)
    present = [(j, c) for j, c in enumerate(names) if c in table.columns]
    if not present:
        return out
    if isinstance(table, CaseColumns):
        for j, c in present:
            col = table[c]
            out[:, j] = ~np.isnan(col) if col.dtype.kind == "f" else np.array([v is not None for v in col], dtype=bool)
        return out
    mask = table[[c for _, c in present]].notna().to_numpy()  # one pass over the columns
    out[:, [j for j, _ in present]] = mask
    return out


def without_value(table, names, value: str):
    """``table`` (canonical: a table or columns) with ``value`` made not done in the category
    columns ``names``, and (n, len(names)) where it was: a copy when anything changed, else the
    table itself.

    >>> t = CaseColumns({"proc_eus": np.array(["negative", "seen_pancreas", None], dtype=object)}, 3)
    >>> out, hit = without_value(t, ["proc_eus"], "negative")
    >>> out["proc_eus"].tolist(), hit[:, 0].tolist()
    ([None, 'seen_pancreas', None], [True, False, False])
    """
    names = list(names)
    hit = np.column_stack([column_values(table, c) == value for c in names]) if names else np.zeros((len(table), 0))
    hit = hit.astype(bool)
    if not hit.any():
        return table, hit
    if isinstance(table, CaseColumns):
        data = {c: table[c] for c in table.columns}
        for j, c in enumerate(names):
            if hit[:, j].any():
                col = data[c].copy()
                col[hit[:, j]] = None
                data[c] = col
        return CaseColumns(data, len(table)), hit
    out = table.copy()
    for j, c in enumerate(names):
        if hit[:, j].any():
            out[c] = out[c].where(~hit[:, j])
    return out, hit
