"""The lab's test table: which tests are available, their relative cost, turnaround and
invasiveness (`data/tests.csv` or a file of the same layout, checked when read; a lab's file
without the ``invasiveness`` column keeps the bundled table's)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..exceptions import InputError
from ..io import data_path
from ..literature import ADVICE_TESTS

# what a test asks of the patient: none (the biopsy already taken, a urine collection), low (a
# blood draw, a scan, a swallowed capsule), moderate (sedation: endoscopy, EUS), high (general
# anaesthesia: device-assisted enteroscopy)
INVASIVENESS = ("none", "low", "moderate", "high")


# ----------------------------------------------------------------------------- test table
@lru_cache(maxsize=4)
def _read_costs(path: str) -> tuple[dict, ...]:
    """The rows of a lab's test table, every row checked (test known, available yes/no, cost and
    turnaround positive numbers)."""
    import csv

    from ..io import read_bounded

    try:
        rows = list(csv.DictReader(read_bounded(path, 1_000_000, "test table").decode("utf-8-sig").splitlines()))
    except (UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"{path}: cannot be read as CSV ({e})") from None
    need = ("test", "available", "cost", "turnaround_days", "status", "source")
    missing = [c for c in need if not rows or c not in rows[0]]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(need)}")
    problems = []
    for i, r in enumerate(rows):
        line = i + 2
        if any(v is None for v in r.values()) or None in r:
            problems.append(f"line {line}: does not have the header's {len(rows[0])} fields")
            continue
        if r["test"] not in ADVICE_TESTS:
            problems.append(f"line {line}: test: {r['test']!r} is not one of {', '.join(ADVICE_TESTS)}")
        if r["available"].strip().lower() not in ("yes", "no"):
            problems.append(f"line {line}: available: {r['available']!r} is not yes or no")
        for col in ("cost", "turnaround_days"):
            try:
                v = float(r[col])
                if not np.isfinite(v) or v <= 0:
                    raise ValueError
            except ValueError:
                problems.append(f"line {line}: {col}: {r[col]!r} is not a number > 0")
        if "invasiveness" in r and r["invasiveness"].strip().lower() not in INVASIVENESS:
            problems.append(f"line {line}: invasiveness: {r['invasiveness']!r} is not one of {', '.join(INVASIVENESS)}")
    if problems:
        raise InputError(f"{path}: " + "; ".join(problems))
    return tuple(rows)


def load_test_table(path=None) -> dict:
    """test -> {available, cost, turnaround_days}: ``data/tests.csv`` (assumed defaults) or a lab's own."""
    return {t: dict(v) for t, v in _test_table(str(path or _default_tests())).items()}


@lru_cache(maxsize=1)
def _default_tests():
    return data_path("tests.csv")


@lru_cache(maxsize=4)
def _test_table(path: str) -> dict:
    bundled = {} if path == str(_default_tests()) else _test_table(str(_default_tests()))
    out = {
        t: {"available": True, "cost": 1.0, "turnaround_days": 1.0, "invasiveness": _bundled_invasiveness(bundled, t)}
        for t in ADVICE_TESTS
    }
    for r in _read_costs(path):
        out[r["test"]] = {
            "available": r["available"].strip().lower() == "yes",
            "cost": float(r["cost"]),
            "turnaround_days": float(r["turnaround_days"]),
            "invasiveness": (r.get("invasiveness") or out[r["test"]]["invasiveness"]).strip().lower(),
        }
    return out


def _bundled_invasiveness(bundled: dict, test: str) -> str:
    """A test's invasiveness in the bundled table (a lab's file need not say it)."""
    return bundled.get(test, {}).get("invasiveness", "none")
