"""A whole cohort scored: one row per case (probabilities, set, reasons, next test and panel,
warnings, the model), in chunks, cases outside the intended use kept with their status."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..contract import RESEARCH_NOTICE, SITES, ValidatedCohort, validate_cohort
from ._result import ScoreResult
from ._score import score_cases
from ._words import WARNING_KINDS, _reasons, _set_meaning

if TYPE_CHECKING:
    import pandas as pd


# The text columns of a scored table, in order (after case_id, status and the p_ columns).
BATCH_TEXT_COLUMNS = (
    "top_site",
    "prediction_set",
    "set_meaning",
    "reasons",
    "next_test",
    "next_panel",
    "warnings",
    "target_prior",
    "model_bundle",
    "notice",
)


SUBSITE_PREFIX = "p_subsite_"  # sub-site columns of a scored table; site columns are p_<site>


def batch_columns(labels) -> list[str]:
    """The columns of a scored table (:func:`score_cohort`) of a model with these labels, its
    input's extra columns aside: case_id, status, the site and sub-site probabilities, the text.

    >>> batch_columns(["ileal", "pancreatic", "other"])[:5]
    ['case_id', 'status', 'p_ileal', 'p_pancreatic', 'p_other']
    """
    subsites = [] if set(labels) <= set(SITES) else [f"{SUBSITE_PREFIX}{lab}" for lab in labels]
    return ["case_id", "status", *(f"p_{s}" for s in SITES), *subsites, *BATCH_TEXT_COLUMNS]


def batch_table(res: ScoreResult, extra: pd.DataFrame | None = None, n_reasons: int = 3) -> pd.DataFrame:
    """One row per case: probabilities, set, top reasons and the top next test (+ extra columns)."""
    import pandas as pd

    out = pd.DataFrame(
        {
            "case_id": res.table["case_id"].astype(object)
            if "case_id" in res.table.columns
            else np.arange(1, len(res.table) + 1)
        }
    )
    for k, s in enumerate(SITES):
        out[f"p_{s}"] = res.proba[:, k]
    if not set(res.labels) <= set(SITES):
        for j, lab in enumerate(res.labels):  # a namespace of their own: a sub-site may be called "other"
            out[f"{SUBSITE_PREFIX}{lab}"] = res.label_proba[:, j]
    out["top_site"] = np.array(SITES, dtype=object)[res.proba.argmax(axis=1)]
    out["prediction_set"] = [" or ".join(s for s, inn in zip(SITES, row) if inn) for row in res.sets]
    out["set_meaning"] = [_set_meaning(res, i) for i in range(len(out))]
    out["reasons"] = ["; ".join(r["text"] for r in _reasons(res, i, n_reasons)) for i in range(len(out))]
    out["next_test"] = [(a[0]["label"] if a else "") for a in (res.advice or [[]] * len(out))]
    out["next_panel"] = [(a[0]["label"] if a else "") for a in (res.panels or [[]] * len(out))]
    out["warnings"] = ["; ".join(w) for w in res.warnings]
    out["target_prior"] = res.target_prior
    out["model_bundle"] = res.identity.get("bundle_hash")
    # every row a clinician may read says what the model is not
    out["notice"] = res.identity.get("notice") or RESEARCH_NOTICE
    if extra is not None:
        renamed = {}
        for c in extra.columns:
            name = c
            while name in out.columns:  # never lose an input column to an output of the same name
                name = f"input_{name}"
            if name != c:
                renamed[c] = name
            out[name] = extra[c].to_numpy()
        out.attrs["renamed_input_columns"] = renamed
    return out


def score_cohort(
    model,
    validated,
    *,
    target_prior=None,
    coverage: float = 0.9,
    chunk: int = 10_000,
    progress=None,
    score_anyway: bool = False,
    panel: int = 0,
    tests=None,
    per_cost: bool = False,
) -> pd.DataFrame:
    """Score a validated cohort in chunks; one row per case (:func:`batch_table`), with the
    cohort's extra columns carried through. ``progress("scoring", done, total)`` is called after
    each chunk. ``panel``: also name the best panel of this many tests (``next_panel``).

    Cases outside the intended use (poorly differentiated) keep their row, with blank
    probabilities, set, reasons and next test and a ``status`` that says why, unless
    ``score_anyway``.

    Parameters
    ----------
    model : SiteModel
        A fitted model.
    validated : ValidatedCohort or DataFrame
        The cohort: validated, or a table in the contract (validated here; ``case_id`` optional).
    target_prior : str, optional
        The setting (default: the model's).
    coverage : float
        Level of the prediction sets.
    chunk : int
        Cases scored per pass.
    progress : callable, optional
        See above.
    score_anyway : bool
        Score cases outside the intended use too.
    panel : int
        See above.
    tests, per_cost
        The lab's test table (a path; unavailable tests are never named) and ranking per unit of
        cost, as for one case (:func:`score_cases`).

    Returns
    -------
    DataFrame
        One row per case (:data:`BATCH_TEXT_COLUMNS` after the probabilities).
    """
    import pandas as pd

    if not isinstance(validated, ValidatedCohort):
        validated = validate_cohort(validated, require_case_id=False)
    table = validated.table
    parts, outside = [], []
    for start in range(0, len(table), chunk):
        part = table.iloc[start : start + chunk].reset_index(drop=True)
        local = [
            type(n)(
                n.kind, n.message, n.fields, tuple(r - start for r in n.rows if start < r <= start + chunk), n.case_text
            )
            for n in validated.notices
            if n.kind in WARNING_KINDS
        ]
        res = score_cases(
            model,
            part,
            notices=[n for n in local if n.rows],
            target_prior=target_prior,
            coverage=coverage,
            details=False,
            panel=panel,
            tests=tests,
            per_cost=per_cost,
        )
        parts.append(batch_table(res, extra=part[validated.extra_columns] if validated.extra_columns else None))
        outside.append(res.outside)
        if progress is not None:
            progress("scoring", start + len(part), len(table))
    out = pd.concat(parts, ignore_index=True)
    out.attrs["renamed_input_columns"] = parts[0].attrs.get("renamed_input_columns", {}) if parts else {}
    outside = np.concatenate(outside) if outside else np.zeros(0, dtype=bool)
    status = np.full(len(out), "scored", dtype=object)
    if outside.any():
        if score_anyway:
            status[outside] = "scored outside the intended use (asked)"
        else:
            status[outside] = "not scored: outside the intended use (poorly differentiated)"
            for c in out.columns:
                if c.startswith("p_"):
                    out.loc[outside, c] = np.nan
            out.loc[outside, ["top_site", "prediction_set", "reasons", "next_test", "next_panel"]] = ""
    out.insert(1, "status", status)
    return out
