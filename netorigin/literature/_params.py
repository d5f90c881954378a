"""Read and check the synthetic-cohort parameter files (data/synthetic/*.csv).

Every row carries its value, source and status (published, derived or assumed); a file that
lacks one is refused with the file, row and column named. The files are read as plain records
(one dict per row, the value a float): the cell model is built from them without pandas (scoring
one case never imports it); ``load_*`` give the same rows as a pandas table.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..exceptions import InputError
from ..io import data_path

if TYPE_CHECKING:
    import pandas as pd

STATUSES = ("published", "derived", "assumed")
DEFAULT_N_EFF = 20.0  # an assumed figure is worth this many cases (a rate of 0.5: 95% within about +/- 0.21)


def n_eff_of(row: dict, where: str = "parameters") -> float:
    """A row's effective sample size: its ``n_eff`` (a number > 0, or ``inf`` for a fixed row);
    blank or absent: :data:`DEFAULT_N_EFF`."""
    raw = str(row.get("n_eff", "") or "").strip()
    if not raw:
        return DEFAULT_N_EFF
    try:
        n = float(raw)
    except ValueError:
        n = float("nan")
    if not (n > 0):  # also NaN
        raise InputError(
            f"{where}: n_eff: {raw!r} for {row.get('parameter')} ({row.get('site')}) is not a number > 0 or inf"
        )
    return n


def check_uncertainty(rows: list[dict], where) -> None:
    """Every n_eff readable; a row that gives one says by which rule."""
    for r in rows:
        n_eff_of(r, str(where))
        if str(r.get("n_eff", "") or "").strip() and not str(r.get("n_eff_rule", "") or "").strip():
            raise InputError(
                f"{where}: n_eff_rule: blank for {r['parameter']} ({r['site']}); say which rule gave n_eff"
            )


_PARAM_COLUMNS = ("parameter", "site", "value", "status", "source", "figure_as_published", "working")
_SCENARIO_COLUMNS = ("scenario", "level", "site", "value", "status", "source", "figure_as_published", "working")
_WORKUP_COLUMNS = ("test", "given", "probability", "status", "note")


def read_records(path, columns: tuple[str, ...], sourced: bool, data: bytes | None = None) -> list[dict]:
    """The rows of a parameter file as dicts (its value column a float), every row checked: a
    number, finite, a known status and (``sourced``) a named source."""
    if data is None:
        p = Path(path)
        if not p.is_file():
            raise InputError(f"{path}: no such file")
        data = p.read_bytes()
    try:
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), strict=True))
    except (UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"{path}: cannot be read as CSV ({e})") from None
    header = list(rows[0]) if rows else _header(data)
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    value_col = "probability" if "probability" in columns else ("share" if "share" in columns else "value")
    problems = []
    for i, row in enumerate(rows):
        line = i + 2
        if None in row or any(v is None for v in row.values()):
            problems.append(
                f"line {line}: has {len(row) - (None in row) + len(row.get(None) or [])} fields; "
                f"the header has {len(header)}"
            )
            continue
        raw, status = row[value_col], row["status"]
        try:
            v = float(raw)
        except ValueError:
            problems.append(f"line {line}: {value_col}: {raw!r} is not a number")
            continue
        if v != v or v in (float("inf"), float("-inf")):
            problems.append(f"line {line}: {value_col}: {raw!r} is not a finite number")
        if status not in STATUSES:
            problems.append(f"line {line}: status: {status!r} is not one of {', '.join(STATUSES)}")
        if sourced and not row["source"].strip():
            problems.append(f"line {line}: source: blank; every figure names its source")
        row[value_col] = v
    if problems:
        raise InputError(f"{path}: " + "; ".join(problems))
    return rows


def _header(data: bytes) -> list[str]:
    first = data.decode("utf-8-sig", errors="replace").splitlines()[:1]
    return next(csv.reader(first), []) if first else []


def frame(records: list[dict], columns=()) -> pd.DataFrame:
    """Records as a pandas table (pandas imported here)."""
    import pandas as pd

    return pd.DataFrame(records, columns=list(records[0]) if records else list(columns))


def records_of(table) -> list[dict]:
    """A parameter table given as records or as a pandas table, as records."""
    return table.to_dict("records") if hasattr(table, "to_dict") else list(table)


def parameter_records(path: str | Path | None = None, *, data: bytes | None = None) -> list[dict]:
    """The per-(parameter, site) rows: value, status, source, figure as published, working."""
    if path is None and data is None:
        return [dict(r) for r in _bundled("parameters.csv")]
    return _check_parameters(read_records(path, _PARAM_COLUMNS, sourced=True, data=data), path)


def _check_parameters(rows: list[dict], where) -> list[dict]:
    check_uncertainty(rows, where)
    seen = set()
    for r in rows:
        key = (r["parameter"], r["site"])
        if key in seen:
            raise InputError(f"{where}: parameter {r['parameter']!r} is given twice for site {r['site']!r}")
        seen.add(key)
    return rows


def scenario_records(path: str | Path | None = None, *, data: bytes | None = None) -> list[dict]:
    """The site mix of each scenario: class priors and sub-site shares within each class."""
    if path is None and data is None:
        return [dict(r) for r in _bundled("scenarios.csv")]
    return _check_scenarios(read_records(path, _SCENARIO_COLUMNS, sourced=True, data=data), path)


def _check_scenarios(rows: list[dict], where) -> list[dict]:
    """Every value a share from 0 to 1 (a scenario's site mix, a sub-site's share within its site),
    at a level (class or subsite) and for a site or sub-site the contract knows, or (level
    ``assumed_negative``, value 1) a procedure the contract knows that the setting assumes negative."""
    from ..contract import SITES, SUBSITES
    from ..contract._procedures import PROCEDURES

    for i, r in enumerate(rows):
        if r["level"] == "assumed_negative":
            if r["site"] not in PROCEDURES or r["value"] != 1:
                raise InputError(
                    f"{where}: line {i + 2}: assumed_negative {r['site']!r} (value {r['value']!r}) is not a "
                    f"procedure ({', '.join(PROCEDURES)}) with value 1"
                )
            continue
        known = SITES if r["level"] == "class" else [x for s in SITES for x in SUBSITES[s]]
        if r["level"] not in ("class", "subsite") or r["site"] not in known:
            raise InputError(
                f"{where}: line {i + 2}: {r['level']!r} {r['site']!r} is not a site (class), sub-site or "
                "assumed_negative procedure"
            )
        if not 0 <= r["value"] <= 1:
            raise InputError(f"{where}: line {i + 2}: value: {r['value']!r} is not a share from 0 to 1")
    return rows


@lru_cache(maxsize=2)
def _bundled(name: str) -> tuple:
    p = data_path("synthetic", name)
    rows = read_records(p, _PARAM_COLUMNS if name == "parameters.csv" else _SCENARIO_COLUMNS, sourced=True)
    return tuple(_check_parameters(rows, p) if name == "parameters.csv" else rows)


def load_parameters(path: str | Path | None = None, *, data: bytes | None = None) -> pd.DataFrame:
    """The per-(parameter, site) table (:func:`parameter_records` as a pandas table)."""
    return frame(parameter_records(path, data=data), _PARAM_COLUMNS)


def load_scenarios(path: str | Path | None = None, *, data: bytes | None = None) -> pd.DataFrame:
    """The site mix of each scenario (:func:`scenario_records` as a pandas table)."""
    return frame(scenario_records(path, data=data), _SCENARIO_COLUMNS)


def load_workup(path: str | Path | None = None) -> pd.DataFrame:
    """The sequential work-ups: which test is done, given earlier results, with what probability.
    A ``workup`` column names each work-up (a file without one holds the ``routine`` one)."""
    p = Path(path) if path else data_path("synthetic", "workup.csv")
    rows = read_records(p, _WORKUP_COLUMNS, sourced=False)
    for i, r in enumerate(rows):
        if not 0 <= r["probability"] <= 1:
            raise InputError(f"{p}: line {i + 2}: probability must be between 0 and 1")
        r.setdefault("workup", "routine")
        if not str(r["workup"]).strip():
            raise InputError(f"{p}: line {i + 2}: workup: blank; name the work-up the row belongs to")
    df = frame(rows, ("workup", *_WORKUP_COLUMNS))
    return df[["workup", *[c for c in df.columns if c != "workup"]]]


def load_workup_mix(path: str | Path | None = None, workups=None) -> pd.DataFrame:
    """The share of cases seen with each work-up (``workup_mix.csv``: workup, share, status,
    note); shares sum to 1 and name work-ups of the work-up file."""
    p = Path(path) if path else data_path("synthetic", "workup_mix.csv")
    rows = read_records(p, ("workup", "share", "status", "note"), sourced=False)
    total = sum(r["share"] for r in rows)
    if any(r["share"] < 0 for r in rows) or abs(total - 1) > 1e-6:
        raise InputError(f"{p}: share: the shares must be >= 0 and sum to 1 (they sum to {total:.4f})")
    if workups is not None:
        unknown = sorted({r["workup"] for r in rows} - set(workups))
        if unknown:
            raise InputError(
                f"{p}: workup: {unknown[0]!r} is not a work-up of the work-up file ({', '.join(sorted(set(workups)))})"
            )
    return frame(rows, ("workup", "share", "status", "note"))


def scenario_mix(scenarios, name: str) -> tuple[dict, dict]:
    """(site -> class value, sub-site -> share within its site) of scenario ``name``, as the rows
    give them (not normalised); the one reading of a scenario's rows."""
    rows = [r for r in records_of(scenarios) if r["scenario"] == name]
    return (
        {r["site"]: float(r["value"]) for r in rows if r["level"] == "class"},
        {r["site"]: float(r["value"]) for r in rows if r["level"] == "subsite"},
    )


def scenario_names(scenarios=None) -> list[str]:
    rows = scenario_records() if scenarios is None else records_of(scenarios)
    return list(dict.fromkeys(r["scenario"] for r in rows))
