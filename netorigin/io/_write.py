"""Write tables: CSV/TSV with formula-like cells neutralised, or Parquet; never half a file."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from .._extras import require
from ..exceptions import InputError

if TYPE_CHECKING:
    import pandas as pd


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _risky(v) -> bool:
    return isinstance(v, str) and v.startswith(FORMULA_START)


def neutralise_formulas(table: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Text cells, and column names, that a spreadsheet would run as a formula (starting with = + - @,
    a tab or a carriage return: the OWASP rule) prefixed with a single quote; (table, cells and
    names changed). Numbers are never touched."""
    import pandas as pd

    out, changed = table, 0
    for c in table.columns:
        col = table[c]
        if col.dtype != object and not pd.api.types.is_string_dtype(col):
            continue
        values = col.astype(object)
        risky = values.map(_risky)
        n = int(risky.sum())
        if n:
            if out is table:
                out = table.copy()
            out[c] = values.where(~risky, "'" + values.astype(str))
            changed += n
    names = [f"'{c}" if _risky(c) else c for c in out.columns]
    if names != list(out.columns):
        out = out.copy() if out is table else out
        changed += sum(a != b for a, b in zip(names, out.columns))
        out.columns = names
    return out, changed


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as CSV/TSV (formula-like text cells and names neutralised: count them first
    with :func:`neutralise_formulas`) or Parquet, chosen by the suffix, into an existing folder;
    written beside the destination and renamed into place (never half a file).

    Parameters
    ----------
    table : DataFrame
        The table to write.
    path : str or Path
        ``.csv``, ``.tsv`` or ``.parquet``.

    Returns
    -------
    Path
        The file written.
    """
    from ._outputs import write_bytes_atomic

    p = Path(path)
    suffix = p.suffix.lower()
    if not p.parent.is_dir():
        raise InputError(f"{p}: the folder {str(p.parent)!r} does not exist")
    if suffix in (".parquet", ".pq"):
        require("pyarrow", "parquet")
        buf = io.BytesIO()
        table.to_parquet(buf, index=False)
        return write_bytes_atomic(p, buf.getvalue())
    if suffix in (".csv", ".tsv"):
        text = neutralise_formulas(table)[0].to_csv(index=False, sep="\t" if suffix == ".tsv" else ",")
        return write_bytes_atomic(p, text.encode("utf-8"))
    raise InputError(f"{p}: unknown output format {suffix!r}; expected .csv, .tsv or .parquet")
