"""Read cohorts (CSV, TSV, Parquet) and single cases (JSON, YAML, one-row CSV).

Reading never guesses silently: an unreadable file raises :class:`InputError` naming the file
and the reason, and a file that breaks the contract raises
:class:`~netorigin.exceptions.ValidationError` with every problem.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._extras import require
from ..contract import ValidatedCohort, renumber_notices, validate_case, validate_cohort
from ..exceptions import InputError, Problem, ValidationError
from ._strict import decode_text, load_json, load_yaml, read_bounded

if TYPE_CHECKING:
    import pandas as pd

CASE_SUFFIXES = (".yaml", ".yml", ".json")
MAX_CASE_BYTES = 1_000_000  # a case file is a few hundred bytes; refuse anything huge
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq")


def _path(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a folder; expected a file ({', '.join(TABLE_SUFFIXES + CASE_SUFFIXES)})")
    return p


def _text(p: Path) -> str:
    return decode_text(p.read_bytes(), p)


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a cohort table as it is on disk, without interpreting values.

    CSV/TSV cells stay text (blank cells are empty strings); duplicated column names are kept
    so that validation can report them.

    Parameters
    ----------
    path : str or Path
        CSV, TSV or Parquet.

    Returns
    -------
    DataFrame
    """
    p = _path(path)
    suffix = p.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return _read_parquet(p)
    if suffix not in (".csv", ".tsv", ".txt"):
        raise InputError(f"{p}: unknown table format {suffix!r}; expected .csv, .tsv or .parquet")
    return read_csv_text(_text(p), source=p, sep="\t" if suffix == ".tsv" else ",")


def read_csv_text(text: str, *, source, sep: str = ",") -> pd.DataFrame:
    """A CSV (or TSV) text read as :func:`read_table` reads a file: every cell text as written
    (blank cells are empty strings; no value is guessed as a number, a boolean or "missing"),
    blank lines skipped, the header's names stripped. Refused (naming ``source``): a blank
    column name, a row with more or fewer fields than the header, an unbalanced quote.

    >>> read_csv_text("case_id,grade,mesenteric_mass\\n007,02,None\\n", source="request").iloc[0].tolist()
    ['007', '02', 'None']
    """
    import pandas as pd

    records = _csv_records(text, sep, source)
    header = [h.strip() for h in records[0][0]]
    if any(h == "" for h in header):
        blank = [i + 1 for i, h in enumerate(header) if h == ""]
        raise InputError(f"{source}: column(s) {blank} have no name in the header row")
    problems = _row_problems(records[1:], header, sep)
    if problems:
        raise ValidationError(problems, str(source))
    body = pd.DataFrame([cells for cells, _ in records[1:]], columns=range(len(header)), dtype=object)
    body.columns = header
    return body


def _read_parquet(p: Path) -> pd.DataFrame:
    """A Parquet table; refused when a column holds lists or structures (not one value per cell)."""
    import pandas as pd

    require("pyarrow", "parquet")
    try:
        table = pd.read_parquet(p)
    except Exception as e:  # pyarrow raises many types for a bad file
        raise InputError(
            f"{p}: cannot be read as Parquet ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})"
        ) from None
    nested = [str(c) for c in table.columns if table[c].map(_nested).any()]
    if nested:
        raise InputError(
            f"{p}: column(s) {', '.join(nested)} hold lists or structures, not one value per "
            "cell; a cohort has one value per case and field"
        )
    return table


def _nested(v) -> bool:
    return isinstance(v, (list, dict, tuple)) or (
        hasattr(v, "__array__") and not isinstance(v, str) and getattr(v, "ndim", 0) > 0
    )


def _row_problems(records, header: list[str], sep: str) -> list[Problem]:
    """Rows that do not have the header's fields, and rows whose quoted cells swallowed rows."""
    problems = []
    ragged = [(r, lines, len(cells)) for r, (cells, lines) in enumerate(records, start=1) if len(cells) != len(header)]
    if ragged:
        shown = ", ".join(f"row {r} (line {lines[0]}) has {k}" for r, lines, k in ragged[:5])
        more = f" and {len(ragged) - 5:,} more rows" if len(ragged) > 5 else ""
        problems.append(
            Problem(
                "table",
                None,
                "",
                tuple(r for r, _, _ in ragged),
                location="file",
                detail=f"{len(ragged):,} row(s) do not have the header's {len(header)} fields: "
                f"{shown}{more}; a truncated or shifted row would be misread, so nothing is guessed",
            )
        )
    # a quoted cell may hold line breaks (free-text notes); it is refused only when a line inside it
    # would read as a row of its own (an unbalanced quote that swallowed the rows after it)
    spanning = [
        (r, lines)
        for r, (cells, lines) in enumerate(records, start=1)
        if lines[1] > lines[0] and _swallows_rows(cells, sep, len(header))
    ]
    if spanning:
        shown = ", ".join(f"row {r} spans lines {a}-{b}" for r, (a, b) in spanning[:5])
        problems.append(
            Problem(
                "table",
                None,
                "",
                tuple(r for r, _ in spanning),
                location="file",
                detail=f"{len(spanning):,} row(s) hold, inside quotes, lines that read as rows of "
                f"their own ({shown}): an unbalanced quote swallows the rows after it, so the file "
                "is refused: close the quote",
            )
        )
    return problems


def _swallows_rows(cells: list[str], sep: str, n_fields: int) -> bool:
    """Whether a cell holds a line with as many separators as a row has (it would read as a row)."""
    if n_fields < 2:
        return any("\n" in c or "\r" in c for c in cells)
    return any(line.count(sep) >= n_fields - 1 for c in cells if "\n" in c or "\r" in c for line in c.splitlines())


def _csv_records(text: str, sep: str, source) -> list[tuple[list[str], tuple[int, int]]]:
    """Every non-blank record with the physical lines it spans (first, last)."""
    import csv

    reader = csv.reader(io.StringIO(text), delimiter=sep, strict=True)
    out, last = [], 0
    try:
        for cells in reader:
            first, last = last + 1, reader.line_num
            if cells and any(c.strip() for c in cells):
                out.append((cells, (first, last)))
    except csv.Error as e:
        raise InputError(
            f"{source}: cannot be read as CSV (line {reader.line_num}: {e}); an unbalanced quote is the usual cause"
        ) from None
    if not out:
        raise InputError(f"{source}: the file has no header row")
    return out


MAX_CASE_KEYS = 1000  # a case has about 40 fields; refuse a "case" that is really something else


def read_case_mapping(path: str | Path) -> dict[str, Any]:
    """Read one case from a JSON or YAML file as a mapping of field -> raw value.

    Read with the strict reader: bounded size (checked while reading), no YAML aliases, no
    duplicate keys, every YAML scalar kept as text (``on``, ``000123``) for the contract to parse.
    """
    p = _path(path)
    text = decode_text(read_bounded(p, MAX_CASE_BYTES, "case file (a cohort belongs in a CSV or Parquet table)"), p)
    obj = load_json(text, p) if p.suffix.lower() == ".json" else load_yaml(text, p, typed=False)
    if not isinstance(obj, dict):
        raise InputError(f"{p}: a case file must hold one mapping of field: value, not {type(obj).__name__}")
    if len(obj) > MAX_CASE_KEYS:
        raise InputError(
            f"{p}: {len(obj):,} keys is not one case (at most {MAX_CASE_KEYS:,}); "
            "a cohort belongs in a CSV or Parquet table"
        )
    return obj


def load_cases(path: str | Path, *, kind: str = "auto", mapping=None, skip_invalid: bool = False) -> ValidatedCohort:
    """Read and validate a cohort or a single case.

    ``kind`` is ``"cohort"``, ``"case"`` or ``"auto"``: YAML and JSON files are one case; a
    CSV with one row and no ``case_id`` column is one case; any other table is a cohort.
    ``mapping``: a mapping file (or :class:`~netorigin.io.Mapping`) from the source's
    columns and values to the contract, applied before validation.
    ``skip_invalid``: in a cohort, rows with a problem are set aside (``set_aside``: the rows as
    read, their row number and the reason for each) and the rest validated; problems with the
    file or its header still stop the work.

    Parameters
    ----------
    path : str or Path
        A case file or a cohort file.
    kind : {"auto", "case", "cohort"}
        See above.
    mapping : str, Path or Mapping, optional
        See above.
    skip_invalid : bool
        See above.

    Returns
    -------
    ValidatedCohort
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if kind not in ("auto", "case", "cohort"):
        raise InputError(f"kind: {kind!r} is not one of auto, case, cohort")
    if mapping is not None:
        from ._mapping import Mapping, load_mapping

        mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    if suffix in CASE_SUFFIXES:
        if kind == "cohort":
            raise InputError(f"{p}: a {suffix} file holds one case, not a cohort")
        case = read_case_mapping(p)
        if mapping is None:
            return validate_case(case, source=str(p))
        validate_case({k: v for k, v in case.items() if isinstance(v, (list, dict))}, source=str(p))
        import pandas as pd

        v = _mapped(pd.DataFrame({str(k): [v] for k, v in case.items()}, dtype=object), mapping, str(p), False)
        v.is_case = True
        return v
    raw = read_table(p)
    if len(raw) == 0:
        raise ValidationError(
            [Problem("table", None, "", location="file", detail="the file has a header but no rows (no cases)")], str(p)
        )
    as_case = kind == "case" or (
        kind == "auto" and len(raw) == 1 and "case_id" not in [str(c).strip().lower() for c in raw.columns]
    )
    if as_case and len(raw) != 1:
        raise InputError(f"{p}: holds {len(raw)} rows; a case file holds exactly one")
    if mapping is not None:
        check = lambda r: _mapped(r, mapping, str(p), not as_case)  # noqa: E731
    else:
        check = lambda r: validate_cohort(
            r,
            require_case_id=not as_case,
            source=str(p),  # noqa: E731
            unknown="refuse" if as_case else "carry",
        )
    v = _skipping_invalid(raw, check) if skip_invalid and not as_case else check(raw)
    v.is_case = as_case  # decided by the input's shape, never by how many rows survived validation
    return v


def validate_rows(raw: pd.DataFrame, *, source: str | None = None, unknown: str = "carry") -> ValidatedCohort:
    """Validate a cohort table, setting aside the rows with a problem (``set_aside``: each with its
    row number and reason) instead of refusing the table; problems with the header still refuse it
    (``unknown="refuse"``: a column that is not a contract field is one). When every row has a
    problem, the cohort used is empty and every row is in ``set_aside``."""
    return _skipping_invalid(raw, lambda r: validate_cohort(r, source=source, unknown=unknown), allow_none=True)


def _skipping_invalid(raw: pd.DataFrame, check, allow_none: bool = False) -> ValidatedCohort:
    """Validate, setting aside the rows named by row-level problems until the rest is valid."""
    import pandas as pd

    keep = np.arange(len(raw))
    reasons: dict[int, list[str]] = {}
    for _ in range(5):  # setting rows aside can only remove problems (duplicates resolve in one step)
        try:
            v = check(raw.iloc[keep].reset_index(drop=True))
            break
        except ValidationError as e:
            if any(not p.rows for p in e.problems):
                raise  # a problem with the file or the header: nothing to set aside
            drop = set()
            for prob in e.problems:
                # the message with the rows as numbered in the file, not in the part re-validated
                said = dataclasses.replace(prob, rows=tuple(int(keep[r - 1]) + 1 for r in prob.rows)).message()
                for r in prob.rows:
                    original = int(keep[r - 1])
                    drop.add(original)
                    reasons.setdefault(original, []).append(said)
            keep = np.array([i for i in keep if i not in drop], dtype=int)
            if len(keep) == 0 and allow_none:
                v = ValidatedCohort(table=pd.DataFrame({"case_id": pd.Series([], dtype=object)}))
                break
            if len(keep) == 0:
                why = "; ".join(dict.fromkeys(m for r in sorted(reasons) for m in reasons[r]))
                raise ValidationError(
                    [
                        Problem(
                            "table",
                            None,
                            "",
                            location="file",
                            detail=f"all {len(raw):,} rows are invalid; nothing left to use: {why[:1500]}",
                        )
                    ],
                    e.source,
                ) from None
    else:  # pragma: no cover - defensive
        raise InputError("could not set the invalid rows aside")
    if reasons:
        rows = sorted(reasons)
        aside = raw.iloc[rows].copy()
        aside.insert(0, "reason", ["; ".join(dict.fromkeys(reasons[r])) for r in rows])
        aside.insert(0, "row", [r + 1 for r in rows])
        v.set_aside = aside.reset_index(drop=True)
        ids = (
            v.table["case_id"].astype(object).where(v.table["case_id"].notna(), "").astype(str).to_numpy()
            if "case_id" in v.table.columns
            else None
        )
        v.notices = renumber_notices(v.notices, keep + 1, ids)  # rows as numbered in the file
    else:
        v.set_aside = raw.iloc[[]].assign(row=[], reason=[])
    return v


def _mapped(raw: pd.DataFrame, mapping, source: str, cohort: bool) -> ValidatedCohort:
    from ._mapping import apply_mapping

    mapped, notes = apply_mapping(raw, mapping, source=source)
    v = validate_cohort(mapped, require_case_id=cohort, source=source, unknown="carry" if cohort else "refuse")
    v.notices = notes + v.notices
    return v


def load_cohort(path: str | Path, *, mapping=None, skip_invalid: bool = False) -> ValidatedCohort:
    """Read and validate a cohort table (case_id required).

    Parameters
    ----------
    path : str or Path
        The cohort file.
    mapping : str, Path or Mapping, optional
        A mapping from the file's columns and values to the contract.
    skip_invalid : bool
        Set rows with a problem aside instead of stopping.

    Returns
    -------
    ValidatedCohort
    """
    return load_cases(path, kind="cohort", mapping=mapping, skip_invalid=skip_invalid)
