"""What a setting assumes, and the site mix those assumptions imply.

The unknown-primary setting *means* that a routine work-up found nothing: its rows in
``scenarios.csv`` name the procedures it assumes negative (level ``assumed_negative``: CT/MRI,
SSTR imaging, upper endoscopy and colonoscopy, the seed paper's routine work-up), and its site mix
already holds those negatives. So a case scored in that setting never counts them twice: a
recorded negative result of an assumed procedure is taken as the setting's own and not counted
again (:func:`apply_setting`, the one place that does it, used by the exact posterior and by every
model); a recorded lesion on one contradicts the setting and is counted, with a warning. Synthetic
cases drawn in the setting have every assumed procedure negative (what the setting means).

The mix the assumptions imply is the liver-metastasis archive's mix after those procedures miss:

    mix(cell) ~ archive(cell) x P(every assumed procedure negative | cell's sub-site)

(:func:`~netorigin.literature.derive_setting_mix`), with an interval over worlds drawn from the
figures' uncertainty (:func:`~netorigin.literature.setting_mix_interval`); ``docs/synthetic.md``
compares it with the literature's 0.75 / 0.12 / 0.13.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..contract import PROCEDURE_FIELDS, without_value
from ..exceptions import InputError
from ._params import records_of, scenario_records

ASSUMED_NEGATIVE = "assumed_negative"  # the scenario rows' level naming an assumed-negative procedure


def setting_assumptions(scenarios, name) -> tuple[str, ...]:
    """The procedures setting ``name`` assumes negative (in the contract's order); () for a setting
    without assumptions, a prior given as numbers or ``training``."""
    if not isinstance(name, str):
        return ()
    rows = [r for r in records_of(scenarios) if r["scenario"] == name and r["level"] == ASSUMED_NEGATIVE]
    bad = [r["site"] for r in rows if r["site"] not in PROCEDURE_FIELDS]
    if bad:
        raise InputError(
            f"scenarios: {name}: {bad[0]!r} is assumed negative but is not a procedure ({', '.join(PROCEDURE_FIELDS)})"
        )
    named = {r["site"] for r in rows}
    return tuple(f for f in PROCEDURE_FIELDS if f in named)


@lru_cache(maxsize=16)
def bundled_assumptions(name) -> tuple[str, ...]:
    """:func:`setting_assumptions` of the bundled ``scenarios.csv`` (what scoring reads)."""
    return setting_assumptions(scenario_records(), name) if isinstance(name, str) else ()


def apply_setting(table, assumed: tuple[str, ...]):
    """(the cases as a setting that assumes ``assumed`` negative reads them, (n, len(assumed))
    where a recorded negative was taken as the setting's own): a recorded negative result of an
    assumed procedure is already in the setting's mix and is not counted again; any other result
    is kept. The table itself when nothing changes."""
    return without_value(table, [f for f in assumed if f in table.columns], "negative")


def routine_negative(model, fields) -> np.ndarray:
    """(cells,) P(every procedure of ``fields`` is negative | cell) under the cell model."""
    from ._procedures import procedure_table

    out = np.ones(model.n_cells)
    for f in fields:
        if f in model.procedures:
            out = out * procedure_table(model, f)[:, 0]
    return out
