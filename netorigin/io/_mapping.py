"""Bring your own cohort: a checked YAML mapping from a registry's layout to the case contract.

A mapping file::

    version: 1
    columns:                 # source column -> contract field
      "CDX2 IHC": ihc_cdx2
      "Ki67 fraction": ki67_percent
      "Primary tumour site": primary_site_detail
    values:                  # per contract field: source value -> contract value (or not_done)
      ihc_cdx2: {pos: positive, neg: negative, "n.d.": not_done}
      primary_site_detail: {Ileum: ileum, Pancreas: pancreas, Lung: lung}
    units:                   # per contract field: multiply, or from: mm | fraction
      ki67_percent: {from: fraction}
      largest_liver_lesion_cm: {from: mm}
    unlisted: error          # or keep (read with the contract's synonyms) or not_done;
                             # a mapping per field is allowed too: {ihc_cdx2: keep}

A non-blank source value that ``values`` does not cover is an error naming the column, the
value and the rows, unless ``unlisted`` says what to do. Blank cells are always "not done".
Detailed sites map to the label through ``primary_site_detail`` (ileum, jejunum -> ileal;
pancreas -> pancreatic; the rest -> other), which keeps the detail.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..contract import FIELDS, MISSING_TOKENS, Notice, field_for, guess_field, is_not_done, parse_value, read_number
from ..contract._names import tokens
from ..exceptions import InputError, Problem, ValidationError
from ._strict import decode_text, load_yaml, read_bounded

if TYPE_CHECKING:
    import pandas as pd

_UNITS = {"mm": 0.1, "fraction": 100.0, "cm": 1.0, "percent": 1.0}


class Mapping:
    """A parsed, checked mapping (see the module docstring for the format)."""

    def __init__(self, columns=None, values=None, units=None, unlisted="error", source="mapping"):
        self.columns = dict(columns or {})
        self.values = {k: dict(v) for k, v in (values or {}).items()}
        self.units = dict(units or {})
        self.unlisted = unlisted
        self.source = source

    def unlisted_for(self, fld: str) -> str:
        return self.unlisted.get(fld, "error") if isinstance(self.unlisted, dict) else self.unlisted


def load_mapping(path) -> Mapping:
    """Read and check a mapping file; every problem is named with its key.

    Parameters
    ----------
    path : str or Path
        A mapping file (YAML or JSON).

    Returns
    -------
    Mapping
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such mapping file")
    doc = load_yaml(decode_text(read_bounded(p, 1_000_000, "mapping file"), p), p)
    if not isinstance(doc, dict):
        raise InputError(f"{p}: a mapping file is a YAML mapping with columns, values, units, unlisted")
    bad = sorted(set(doc) - {"version", "columns", "values", "units", "unlisted", "description"})
    if bad:
        raise InputError(f"{p}: unknown key(s) {', '.join(map(str, bad))}; expected columns, values, units, unlisted")
    for key in ("columns", "values", "units"):
        if doc.get(key) is not None and not isinstance(doc[key], dict):
            raise InputError(f"{p}: {key}: expected a mapping (source: target pairs), not {type(doc[key]).__name__}")
    columns, values, units = doc.get("columns") or {}, doc.get("values") or {}, doc.get("units") or {}
    unlisted = doc.get("unlisted", "error")
    problems = _column_problems(columns) + _value_problems(values) + _unit_problems(units)
    problems += _unlisted_problems(unlisted)
    if problems:
        raise InputError(f"{p}: " + "; ".join(problems))
    return Mapping(
        {str(k): str(v).strip().lower() for k, v in columns.items()},
        {str(k): {_key(a): str(b) for a, b in t.items()} for k, t in values.items()},
        {str(k): v for k, v in units.items()},
        unlisted,
        source=str(p),
    )


def _column_problems(columns: dict) -> list[str]:
    return [
        f"columns: {src!r} -> {dst!r} is not a field of the case contract"
        for src, dst in columns.items()
        if field_for(str(dst).strip().lower()) is None
    ]


def _value_problems(values: dict) -> list[str]:
    """Problems with the value tables; each target is read as the contract reads values (YAML reads
    yes/no as booleans; synonyms are fine too) and written back in canonical form."""
    problems = []
    for fld, table in values.items():
        f = field_for(str(fld))
        if f is None or f.kind not in ("category", "mitoses"):
            problems.append(f"values: {fld!r} is not a categorical field of the case contract")
            continue
        if not isinstance(table, dict):
            problems.append(f"values: {fld}: expected source value: contract value pairs")
            continue
        for src, dst in list(table.items()):
            if dst is None:
                problems.append(f"values: {fld}: {src!r} has no target yet (choose one of {', '.join(f.allowed)})")
                continue
            canon = parse_value(f, dst)
            if isinstance(canon, Problem):
                problems.append(f"values: {fld}: {src!r} -> {dst!r} is not one of {', '.join(f.allowed)}")
            else:
                table[src] = "not_done" if canon is None else canon
    return problems


def _unit_problems(units: dict) -> list[str]:
    problems = []
    for fld, spec in units.items():
        f = field_for(str(fld))
        if f is None or f.kind != "number":
            problems.append(f"units: {fld!r} is not a numeric field of the case contract")
        elif not (isinstance(spec, dict) and (_positive_number(spec.get("multiply")) or spec.get("from") in _UNITS)):
            problems.append(
                f"units: {fld}: {spec!r} is not {{multiply: a finite number > 0}} or {{from: {' | '.join(_UNITS)}}}"
            )
    return problems


def _positive_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and bool(np.isfinite(x)) and x > 0


def _unlisted_problems(unlisted) -> list[str]:
    choices = ("error", "keep", "not_done")
    if isinstance(unlisted, dict):
        return [
            f"unlisted: {k}: {v!r} is not one of {', '.join(choices)}" for k, v in unlisted.items() if v not in choices
        ]
    return [] if unlisted in choices else [f"unlisted: {unlisted!r} is not one of {', '.join(choices)}"]


def _plan_columns(raw) -> tuple[list, dict, list]:
    """(plan: (column, field, guessed), column -> its Guess, columns left as they are): contract
    names first, then the best guess for each other column (a label column read as sites or
    sub-sites by its values), each field taken once."""

    def own(c):
        return str(c).strip().lower() in FIELDS or str(c).strip().lower().startswith("expr_")

    plan = [(str(c), str(c).strip().lower(), False) for c in raw.columns if own(c)]
    taken = {fld for _, fld, _ in plan}
    how: dict = {}
    unmapped = []
    for c in (c for c in raw.columns if not own(c)):
        name = str(c)
        g = guess_field(name, taken)
        fld = None if g is None else g.field
        if fld in ("primary_site_detail", "primary_site"):
            vals = [v for v in raw[c].dropna().astype(str).unique() if v.strip()]
            as_site = sum(not isinstance(parse_value(FIELDS["primary_site"], v), Problem) for v in vals)
            as_detail = sum(not isinstance(parse_value(FIELDS["primary_site_detail"], v), Problem) for v in vals)
            fld = "primary_site" if as_site > as_detail else "primary_site_detail"
        if fld is None or fld in taken:
            unmapped.append(name)
            continue
        how[name] = g
        taken.add(fld)
        plan.append((name, fld, True))
    return plan, how, unmapped


def _value_entries(f, col) -> list[str]:
    """A draft's lines for one categorical column: each value placed, guessed or left UNPLACED."""
    import json

    entries = []
    for v in sorted({str(x).strip() for x in col.dropna().tolist() if str(x).strip()}):
        res = None if v.lower() in MISSING_TOKENS else parse_value(f, v)
        if res is None:
            entries.append(f"    {json.dumps(v)}: not_done")
        elif isinstance(res, Problem):
            entries.append(
                f"    {json.dumps(v)}: {json.dumps(res.suggestion)}  # GUESS: confirm"
                if res.suggestion
                else f"    {json.dumps(v)}: null  # UNPLACED: choose one of {', '.join(f.allowed)}"
            )
        else:
            entries.append(f"    {json.dumps(v)}: {json.dumps(res)}" + ("" if v == res else "  # GUESS: confirm"))
    return entries


def _unit_entries(f, fld: str, name: str, col, how: dict) -> list[str]:
    """A draft's unit line for a numeric column whose name or values say its unit."""
    import pandas as pd

    nums = pd.to_numeric(col, errors="coerce").dropna()
    toks = tokens(name)
    written = how[name].unit if name in how else None
    if f.unit == "cm" and (written == "mm" or "mm" in toks):
        return [f"  {fld}: {{from: mm}}  # GUESS: confirm (the column name says mm)"]
    if fld == "ki67_percent" and len(nums) and nums.max() <= 1 and ("fraction" in toks or nums.max() < 1):
        return [f"  {fld}: {{from: fraction}}  # GUESS: confirm (values are all at most 1)"]
    return []


def _key(v: Any) -> str:
    """A source value as written (YAML turns Yes/No into booleans and 1 into an integer)."""
    if isinstance(v, bool):
        return "yes" if v else "no"
    return str(v)


def _is_blank(v: Any) -> bool:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return True
    return isinstance(v, str) and v.strip() == ""


def apply_mapping(
    raw: pd.DataFrame, mapping: Mapping, *, source: str | None = None
) -> tuple[pd.DataFrame, list[Notice]]:
    """Rename, map values and convert units; the result then goes through normal validation."""

    problems: list[Problem] = []
    notices: list[Notice] = []
    present = [str(c) for c in raw.columns]
    missing = [c for c in mapping.columns if c not in present]
    if missing:
        notices.append(
            Notice("extra_columns", f"mapping columns not in this cohort (nothing to map): {', '.join(missing)}")
        )
    out = raw.copy()
    out.columns = [mapping.columns.get(str(c), str(c)) for c in raw.columns]
    ids = out["case_id"].astype(str).to_numpy() if "case_id" in out.columns else None
    for fld, table in mapping.values.items():
        if fld in out.columns:
            src_name = next((s for s, d in mapping.columns.items() if d == fld), fld)
            out[fld] = _map_values(out[fld], fld, table, mapping.unlisted_for(fld), src_name, ids, problems, notices)
    for fld, spec in mapping.units.items():
        if fld not in out.columns:
            continue
        factor = float(spec["multiply"]) if "multiply" in spec else _UNITS[spec["from"]]
        # the contract's own readings: a not-done word is not done, a number is read as it reads one
        values = out[fld].astype(object).to_numpy()
        missing = np.array([is_not_done(v) for v in values], dtype=bool)
        nums = np.array([np.nan if m else _number(v) for v, m in zip(values, missing)], dtype=float)
        bad = ~missing & np.isnan(nums)
        for i in np.flatnonzero(bad)[:1]:
            problems.append(
                Problem(
                    fld,
                    values[i],
                    "a number to convert",
                    tuple(int(r) + 1 for r in np.flatnonzero(bad)),
                    detail=f"{values[i]!r} is not a number, so its unit cannot be converted",
                )
            )
        out[fld] = np.where(~np.isnan(nums), nums * factor, np.where(missing, np.nan, values))
    if problems:
        raise ValidationError(problems, source)
    return out, notices


def _number(v) -> float:
    x = read_number(v)
    return np.nan if x is None else x


def _map_values(col, fld: str, table: dict, unlisted: str, src_name: str, ids, problems: list, notices: list):
    """One column's values through the mapping's table; an unlisted value is refused, kept, or
    read as not done (``unlisted``), and said either way."""
    lookup = {k.strip().lower(): v for k, v in table.items()}
    values = col.astype(object).to_numpy()
    mapped = np.empty(len(values), dtype=object)
    unmapped: dict[str, list[int]] = {}
    for i, v in enumerate(values):
        if _is_blank(v):
            mapped[i] = None
            continue
        key = str(v).strip().lower()
        if key.endswith(".0") and key[:-2].isdigit():
            key = key[:-2]
        if key in lookup:
            mapped[i] = None if lookup[key] == "not_done" else lookup[key]
            continue
        if is_not_done(v):  # a word the contract reads as not done, whatever the field
            mapped[i] = None
            continue
        mapped[i] = v if unlisted == "keep" else None
        if unlisted != "keep":
            unmapped.setdefault(str(v), []).append(i)
    for value, rows in unmapped.items():
        if unlisted == "not_done":
            notices.append(
                Notice(
                    "derived",
                    f"{src_name}: {len(rows)} row(s) with unlisted value {value!r} read as "
                    "not done (unlisted: not_done)",
                    (fld,),
                    tuple(r + 1 for r in rows[:20]),
                )
            )
        else:
            problems.append(
                Problem(
                    src_name,
                    value,
                    "",
                    tuple(r + 1 for r in rows),
                    tuple(ids[rows[:6]]) if ids is not None else (),
                    detail=f"{value!r} is not covered by the mapping's values for {fld} "
                    "(add it, or set unlisted: keep | not_done)",
                )
            )
    return mapped


def suggest_mapping(raw: pd.DataFrame, source: str = "cohort") -> str:
    """A draft mapping (YAML text) for a cohort's columns and values; every guess is marked
    ``# GUESS: confirm`` and every value it cannot place ``# UNPLACED``, never dropped."""
    import json

    q = json.dumps
    cols, values, units = [], [], []
    plan, how, unmapped = _plan_columns(raw)
    for name, fld, guessed in plan:
        if guessed:
            g = how[name]
            cols.append(
                f"  {q(name)}: {fld}  # "
                + (f"matched {g.how}" if g.exact and not g.unit else f"GUESS: confirm (matched {g.how})")
            )
        f = field_for(fld)
        col = raw[name]
        if f is None:
            continue
        if f.kind in ("category", "mitoses"):
            entries = _value_entries(f, col)
            if entries and (guessed or any("GUESS" in e or "UNPLACED" in e for e in entries)):
                values.append(f"  {fld}:")
                values += entries
        elif f.kind == "number":
            units += _unit_entries(f, fld, name, col, how)
    lines = [
        f"# netorigin mapping drafted by `netorigin map suggest` from {source}.",
        "# Confirm every line marked GUESS; choose a value for every UNPLACED one.",
        "version: 1",
        "columns:",
    ] + (cols or ["  {}"])
    lines += ["values:"] + (values or ["  {}"])
    lines += ["units:"] + (units or ["  {}"])
    lines += ["unlisted: error"]
    if unmapped:
        lines += ["# columns left as they are (not in the contract; carried through untouched):"]
        lines += [f"#   {q(n)}" for n in unmapped]
    return (
        "\n".join(lines)
        .replace("columns:\n  {}", "columns: {}")
        .replace("values:\n  {}", "values: {}")
        .replace("units:\n  {}", "units: {}")
        + "\n"
    )
