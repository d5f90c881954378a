"""Contradictory test results: pairs of findings that (almost) never occur together in any
primary of the synthetic world, so that seeing both points to a stain mix-up, a collision
tumour or a primary the model does not know.

The table ``data/contradictions.csv`` is *derived*: for every pair of positive findings
(markers, DAXX/ATRX loss, ALT), the highest joint rate over the cell model's cells (the
generator draws fields independently given the cell), kept when below
:data:`CONTRADICTION_LIMIT` (an assumption). :func:`derive_contradictions` rebuilds it and a
test keeps the file equal to it.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from ..contract import FIELDS, MARKERS, column_values, field_label, positive_value
from ..exceptions import InputError
from ..io import data_path
from ._cells import Model

if TYPE_CHECKING:
    import pandas as pd

CONTRADICTION_LIMIT = 0.05  # assumed: "rarer than 1 in 20 in every primary" counts as contradictory
COLUMNS = ("field_a", "value_a", "field_b", "value_b", "max_joint_rate", "most_likely_in", "status", "source")
_FINDINGS = (*MARKERS, "ihc_daxx_atrx", "alt_status")


def derive_contradictions(model: Model, limit: float = CONTRADICTION_LIMIT) -> pd.DataFrame:
    """Pairs of positive findings whose joint rate is below ``limit`` in every cell."""
    import pandas as pd

    rates = {}
    for f in _FINDINGS:
        key = f"rate:{f}={positive_value(f)}"
        if key in model.arrays:
            rates[f] = np.asarray(model[key], dtype=float)
    labels = model.labels()
    rows = []
    for a, b in itertools.combinations(rates, 2):
        joint = rates[a] * rates[b]
        k = int(np.argmax(joint))
        if joint[k] < limit:
            rows.append(
                (
                    a,
                    positive_value(a),
                    b,
                    positive_value(b),
                    round(float(joint[k]), 4),
                    labels[k],
                    "derived",
                    f"data/synthetic/parameters.csv: highest joint rate over cells < {limit} (limit assumed)",
                )
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def contradiction_records(path: str | Path | None = None) -> list[dict]:
    """The documented pairs (``data/contradictions.csv``) as records, each row checked: both fields
    in the contract, the joint rate a number in [0, 1]."""
    import csv

    from ..io import read_bounded

    p = Path(path) if path else data_path("contradictions.csv")
    try:
        rows = list(csv.DictReader(read_bounded(p, 1_000_000, "contradictions table").decode("utf-8-sig").splitlines()))
    except (UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"{p}: cannot be read as CSV ({e})") from None
    missing = [c for c in COLUMNS if not rows or c not in rows[0]]
    if missing:
        raise InputError(f"{p}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    for r in rows:
        for col in ("field_a", "field_b"):
            if r[col] not in FIELDS:
                raise InputError(f"{p}: {col}: {r[col]!r} is not a field of the case contract")
        try:
            rate = float(r["max_joint_rate"])
        except (TypeError, ValueError):
            rate = float("nan")
        if not 0 <= rate <= 1:
            raise InputError(f"{p}: max_joint_rate: {r['max_joint_rate']!r} is not a rate between 0 and 1")
        r["max_joint_rate"] = rate
    return rows


def load_contradictions(path: str | Path | None = None) -> pd.DataFrame:
    """The documented table of contradictory pairs (:func:`contradiction_records` as a pandas table)."""
    import pandas as pd

    return pd.DataFrame(contradiction_records(path), columns=list(COLUMNS))


_PHENOTYPE_WORDS = {
    "syndromic": "with carcinoid syndrome",
    "quiet": "without carcinoid syndrome",
    "ec": "serotonin-producing (EC-cell)",
    "alt": "ALT-positive / DAXX-ATRX-lost",
    "plain": "without ALT or EC-cell features",
    "ttf1": "TTF-1-positive",
    "otp_only": "OTP-positive, TTF-1-negative",
    "null": "TTF-1- and OTP-negative",
}


def cell_words(cell: str) -> str:
    """A latent cell ("pancreas/ec") in words: the sub-site and its kind of tumour.

    >>> cell_words("pancreas/ec")
    'serotonin-producing (EC-cell) pancreas tumours'
    >>> cell_words("appendix")
    'appendix tumours'
    """
    sub, _, kind = str(cell).partition("/")
    return f"{_PHENOTYPE_WORDS.get(kind, kind)} {sub} tumours".strip() if kind else f"{sub} tumours"


def contradictions_in(table, pairs) -> list[list[str]]:
    """For each case of ``table``, a warning per contradictory pair of results it records.
    ``pairs``: :func:`load_contradictions`'s table, or its rows as records (attributes)."""
    out: list[list[str]] = [[] for _ in range(len(table))]
    if hasattr(pairs, "to_dict"):  # a pandas table
        pairs = [SimpleNamespace(**r) for r in pairs.to_dict("records")]
    needed = [c for c in dict.fromkeys([x for r in pairs for x in (r.field_a, r.field_b)]) if c in table.columns]
    values = {c: column_values(table, c) for c in needed}
    for r in pairs:
        if r.field_a not in values or r.field_b not in values:
            continue
        both = (values[r.field_a] == r.value_a) & (values[r.field_b] == r.value_b)
        if not both.any():
            continue
        text = (
            f"contradictory results: {field_label(r.field_a)} {r.value_a} with {field_label(r.field_b)} "
            f"{r.value_b} - no primary the model knows shows both in more than {r.max_joint_rate:.0%} of cases "
            f"(most often in {cell_words(r.most_likely_in)}); check the stains (a mix-up, a collision tumour, "
            "an unusual primary) before acting on the probabilities"
        )
        for i in np.flatnonzero(both):
            out[i].append(text)
    return out
