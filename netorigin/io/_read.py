"""Read cohorts (CSV, TSV, Parquet) and single cases (JSON, YAML, one-row CSV); write tables.

Reading never guesses silently: an unreadable file raises :class:`InputError` naming the file
and the reason, and a file that breaks the contract raises
:class:`~netorigin.exceptions.ValidationError` with every problem.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..contract import ValidatedCohort, validate_case, validate_cohort
from ..exceptions import InputError, Problem, ValidationError

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
    data = p.read_bytes()
    if not data.strip():
        raise InputError(f"{p}: the file is empty")
    if b"\x00" in data[:65536]:
        raise InputError(f"{p}: looks like a binary file, not text (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{p}: is not UTF-8 text (byte 0x{data[e.start]:02x} at position "
                         f"{e.start}); save it as UTF-8") from None


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a cohort table as it is on disk, without interpreting values.

    CSV/TSV cells stay text (blank cells are empty strings); duplicated column names are kept
    so that validation can report them.
    """
    p = _path(path)
    suffix = p.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            return pd.read_parquet(p)
        except Exception as e:  # pyarrow raises many types for a bad file
            raise InputError(f"{p}: cannot be read as Parquet ({type(e).__name__}: "
                             f"{str(e).splitlines()[0] if str(e) else ''})") from None
    if suffix not in (".csv", ".tsv", ".txt"):
        raise InputError(f"{p}: unknown table format {suffix!r}; expected .csv, .tsv or .parquet")
    text = _text(p)
    sep = "\t" if suffix == ".tsv" else ","
    try:
        grid = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str,
                           keep_default_na=False, na_filter=False, skip_blank_lines=True)
    except (pd.errors.ParserError, ValueError) as e:
        raise InputError(f"{p}: cannot be read as CSV ({str(e).splitlines()[0]})") from None
    header = [h.strip() for h in grid.iloc[0].tolist()]
    if any(h == "" for h in header):
        blank = [i + 1 for i, h in enumerate(header) if h == ""]
        raise InputError(f"{p}: column(s) {blank} have no name in the header row")
    body = grid.iloc[1:].reset_index(drop=True)
    body.columns = header
    return body


def _no_alias_loader():
    import yaml

    class CaseLoader(yaml.SafeLoader):
        """Safe YAML without anchors and aliases (a case needs none; aliases make YAML bombs)."""

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.constructor.ConstructorError(
                    None, None, "anchors and aliases (&, *) are not allowed in a case file", event.start_mark)
            return super().compose_node(parent, index)

    return CaseLoader


def read_case_mapping(path: str | Path) -> dict[str, Any]:
    """Read one case from a JSON or YAML file as a mapping of field -> raw value."""
    p = _path(path)
    size = p.stat().st_size
    if size > MAX_CASE_BYTES:
        raise InputError(f"{p}: {size:,} bytes is too large for one case (at most {MAX_CASE_BYTES:,}); "
                         "a cohort belongs in a CSV or Parquet table")
    text = _text(p)
    suffix = p.suffix.lower()
    if suffix == ".json":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise InputError(f"{p}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
        except RecursionError:
            raise InputError(f"{p}: JSON nested too deeply to be a case") from None
    else:
        import yaml

        try:
            obj = yaml.load(text, Loader=_no_alias_loader())  # noqa: S506 (a SafeLoader subclass)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise InputError(f"{p}: not valid YAML{where}: {getattr(e, 'problem', None) or e}") from None
    if not isinstance(obj, dict):
        raise InputError(f"{p}: a case file must hold one mapping of field: value, "
                         f"not {type(obj).__name__}")
    return obj


def load_cases(path: str | Path, *, kind: str = "auto", mapping=None) -> ValidatedCohort:
    """Read and validate a cohort or a single case.

    ``kind`` is ``"cohort"``, ``"case"`` or ``"auto"``: YAML and JSON files are one case; a
    CSV with one row and no ``case_id`` column is one case; any other table is a cohort.
    ``mapping``: a mapping file (or :class:`~netorigin.io.Mapping`) from the source's
    columns and values to the contract, applied before validation.
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
        return _mapped(pd.DataFrame({str(k): [v] for k, v in case.items()}, dtype=object), mapping, str(p), False)
    raw = read_table(p)
    if len(raw) == 0:
        raise ValidationError([Problem("table", None, "", location="file", detail="the file has a header but "
                                       "no rows (no cases)")], str(p))
    as_case = kind == "case" or (
        kind == "auto" and len(raw) == 1 and "case_id" not in [str(c).strip().lower() for c in raw.columns])
    if as_case and len(raw) != 1:
        raise InputError(f"{p}: holds {len(raw)} rows; a case file holds exactly one")
    if mapping is not None:
        return _mapped(raw, mapping, str(p), not as_case)
    return validate_cohort(raw, require_case_id=not as_case, source=str(p))


def _mapped(raw: pd.DataFrame, mapping, source: str, cohort: bool) -> ValidatedCohort:
    from ._mapping import apply_mapping

    mapped, notes = apply_mapping(raw, mapping, source=source)
    v = validate_cohort(mapped, require_case_id=cohort, source=source)
    v.notices = notes + v.notices
    return v


def load_cohort(path: str | Path, *, mapping=None) -> ValidatedCohort:
    """Read and validate a cohort table (case_id required)."""
    return load_cases(path, kind="cohort", mapping=mapping)


def write_table(table: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as CSV or Parquet, chosen by the file's suffix."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".parquet", ".pq"):
        table.to_parquet(p, index=False)
    elif suffix in (".csv", ".tsv"):
        table.to_csv(p, index=False, sep="\t" if suffix == ".tsv" else ",")
    else:
        raise InputError(f"{p}: unknown output format {suffix!r}; expected .csv or .parquet")
    return p
