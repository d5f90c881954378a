"""Read and check the synthetic-cohort parameter files (data/synthetic/*.csv).

Every row carries its value, source and status (published, derived or assumed); a file that
lacks one is refused with the file, row and column named.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from ..datasets import data_path
from ..exceptions import InputError

STATUSES = ("published", "derived", "assumed")
_PARAM_COLUMNS = ("parameter", "site", "value", "status", "source", "figure_as_published", "working")
_SCENARIO_COLUMNS = ("scenario", "level", "site", "value", "status", "source", "figure_as_published", "working")
_WORKUP_COLUMNS = ("test", "given", "probability", "status", "note")


def _read(path, columns: tuple[str, ...], sourced: bool, data: bytes | None = None) -> pd.DataFrame:
    if data is None and not Path(path).exists():
        raise InputError(f"{path}: no such file")
    try:
        df = pd.read_csv(io.BytesIO(data) if data is not None else path, dtype=str, keep_default_na=False)
    except Exception as e:  # malformed CSV
        raise InputError(f"{path}: cannot be read as CSV ({e})") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    value_col = "probability" if "probability" in columns else ("share" if "share" in columns else "value")
    problems = []
    sources = df["source"] if sourced else [""] * len(df)
    for i, (raw, status, source) in enumerate(zip(df[value_col], df["status"], sources)):  # plain values: fast
        line = i + 2
        try:
            v = float(raw)
        except ValueError:
            problems.append(f"line {line}: {value_col}: {raw!r} is not a number")
            continue
        if v != v or v in (float("inf"), float("-inf")):
            problems.append(f"line {line}: {value_col}: {raw!r} is not a finite number")
        if status not in STATUSES:
            problems.append(f"line {line}: status: {status!r} is not one of {', '.join(STATUSES)}")
        if sourced and not source.strip():
            problems.append(f"line {line}: source: blank; every figure names its source")
    if problems:
        raise InputError(f"{path}: " + "; ".join(problems))
    df[value_col] = df[value_col].astype(float)
    return df


def load_parameters(path: str | Path | None = None, *, data: bytes | None = None) -> pd.DataFrame:
    """The per-(parameter, site) table: value, status, source, figure as published, working."""
    p = Path(path) if path else data_path("synthetic", "parameters.csv")
    df = _read(p, _PARAM_COLUMNS, sourced=True, data=data)
    dup = df[df.duplicated(["parameter", "site"], keep=False)]
    if len(dup):
        first = dup.iloc[0]
        raise InputError(f"{p}: parameter {first['parameter']!r} is given twice for site {first['site']!r}")
    return df


def load_scenarios(path: str | Path | None = None, *, data: bytes | None = None) -> pd.DataFrame:
    """The site mix of each scenario: class priors and sub-site shares within each class."""
    p = Path(path) if path else data_path("synthetic", "scenarios.csv")
    return _read(p, _SCENARIO_COLUMNS, sourced=True, data=data)


def load_workup(path: str | Path | None = None) -> pd.DataFrame:
    """The sequential work-ups: which test is done, given earlier results, with what probability.
    A ``workup`` column names each work-up (a file without one holds the ``routine`` one)."""
    p = Path(path) if path else data_path("synthetic", "workup.csv")
    df = _read(p, _WORKUP_COLUMNS, sourced=False)
    bad = df[(df["probability"] < 0) | (df["probability"] > 1)]
    if len(bad):
        raise InputError(f"{p}: line {bad.index[0] + 2}: probability must be between 0 and 1")
    if "workup" not in df.columns:
        df.insert(0, "workup", "routine")
    blank = df[df["workup"].str.strip() == ""]
    if len(blank):
        raise InputError(f"{p}: line {blank.index[0] + 2}: workup: blank; name the work-up the row belongs to")
    return df


def load_workup_mix(path: str | Path | None = None, workups=None) -> pd.DataFrame:
    """The share of cases seen with each work-up (``workup_mix.csv``: workup, share, status,
    note); shares sum to 1 and name work-ups of the work-up file."""
    p = Path(path) if path else data_path("synthetic", "workup_mix.csv")
    df = _read(p, ("workup", "share", "status", "note"), sourced=False)
    if df["share"].lt(0).any() or abs(df["share"].sum() - 1) > 1e-6:
        raise InputError(f"{p}: share: the shares must be >= 0 and sum to 1 (they sum to {df['share'].sum():.4f})")
    if workups is not None:
        unknown = sorted(set(df["workup"]) - set(workups))
        if unknown:
            raise InputError(f"{p}: workup: {unknown[0]!r} is not a work-up of the work-up file "
                             f"({', '.join(sorted(set(workups)))})")
    return df


def scenario_names(scenarios: pd.DataFrame | None = None) -> list[str]:
    s = load_scenarios() if scenarios is None else scenarios
    return list(dict.fromkeys(s["scenario"]))
