"""Score cases with a saved model: probabilities, prediction set, reasons, next tests, warnings.

:func:`score_cases` works on one case or a whole cohort; :func:`case_report` gives one case as a
JSON-able dict with stable keys, and :func:`batch_table` the cohort as a table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..contract import FIELDS, RESEARCH_NOTICE, SITES, as_canonical, field_label
from ._advise import next_tests

REPORT_KEYS = ("case_id", "model", "target_prior", "probabilities", "prediction_set", "coverage", "reasons",
               "explanation", "next_tests", "warnings", "notice")


@dataclass
class ScoreResult:
    table: pd.DataFrame
    proba: np.ndarray
    sets: np.ndarray
    coverage: float
    target_prior: str
    identity: dict
    explanation: tuple | None = None
    advice: list | None = None
    warnings: list = field(default_factory=list)
    _cols: dict | None = None

    def _columns(self) -> dict:
        """The table's columns as plain object arrays (fast per-case access)."""
        if self._cols is None:
            self._cols = {c: self.table[c].astype(object).to_numpy() for c in self.table.columns}
        return self._cols


def _value_text(res: "ScoreResult", i: int, fld: str) -> str:
    cols = res._columns()
    if fld not in cols:
        return "not done"
    v = cols[fld][i]
    if v is None or (isinstance(v, float) and np.isnan(v)) or (not isinstance(v, str) and pd.isna(v)):
        return "not done"
    f = FIELDS.get(fld)
    if fld == "ki67_percent":
        return f"{v:g}%"
    if fld == "largest_liver_lesion_cm":
        return f"{v:g} cm"
    if fld == "age_years":
        return f"{v:g} years"
    if f is not None and f.kind == "number" or fld.startswith("expr_"):
        return f"{float(v):g}"
    return str(v)


def _warnings(validated_notices, table, model) -> list[list[str]]:
    out = [[] for _ in range(len(table))]
    for n in validated_notices or []:
        if n.kind in ("inconsistent", "intended_use"):
            rows = n.rows or tuple(range(1, len(table) + 1))
            text = n.message.split(": ", 1)[1] if ": " in n.message else n.message
            for r in rows:
                if 1 <= r <= len(table):
                    out[r - 1].append(text)
    for i, extra in enumerate(model.unlike_training(table)):
        out[i] += [f"unlike the training data: {e}" for e in extra]
    return out


def score_cases(model, cohort, *, notices=None, target_prior=None, coverage: float = 0.9,
                reasons: bool = True, advice: bool = True) -> ScoreResult:
    """Score every case of ``cohort`` (a validated canonical table or anything in the contract)
    with a fitted :class:`~netorigin.calibration.SiteModel`.

    ``notices``: the validation notices of the cohort (to turn into per-case warnings).
    """
    table = as_canonical(cohort)
    Xt = model.transform(table)
    margins = model.margins(Xt)
    proba = model.proba_from_margins(margins, target_prior=target_prior)
    sp = model.sets_prior(target_prior)
    sets_p = proba if sp == model.prior_name(target_prior) else model.proba_from_margins(margins, target_prior=sp)
    sets = model.predict_sets(proba=sets_p, coverage=coverage, target_prior=sp)
    res = ScoreResult(table=table, proba=proba, sets=sets, coverage=coverage,
                      target_prior=model.prior_name(target_prior), identity=model.identity())
    if reasons:
        res.explanation = model.explain(Xt=Xt)
    if advice:
        res.advice = next_tests(model, table, proba, target_prior=target_prior, Xt=Xt)
    res.warnings = _warnings(notices, table, model)
    return res


def _reasons(res: ScoreResult, i: int, n: int = 5) -> list[dict]:
    if res.explanation is None:
        return []
    e = res.explanation
    fields, contrib = e.fields, e.contributions
    k = int(res.proba[i].argmax())
    site = SITES[k]
    order = np.argsort(-np.abs(contrib[i, :, k]), kind="stable")[:n]
    out = []
    for j in order:
        v = float(contrib[i, j, k])
        if abs(v) < 0.005:
            continue
        fld = fields[j]
        value = _value_text(res, i, fld)
        direction = f"toward {site}" if v > 0 else f"away from {site}"
        out.append({"field": fld, "value": value, "site": site, "log_odds": round(v, 4),
                    "text": f"{field_label(fld)} {value}: {direction} ({v:+.1f})"})
    return out


def case_report(res: ScoreResult, i: int = 0, n_reasons: int = 5) -> dict:
    """One case as a dict with stable keys (:data:`REPORT_KEYS`)."""
    p = res.proba[i]
    members = [s for s, inn in zip(SITES, res.sets[i]) if inn]
    cid = res.table["case_id"].iloc[i] if "case_id" in res.table.columns else None
    expl = None
    if res.explanation is not None:
        e = res.explanation
        k = int(p.argmax())
        expl = {"scale": "log-odds: the model's uncalibrated margin, centred across sites",
                "site": SITES[k], "base_value": float(e.base[i, k]), "margin": float(e.margin[i, k]),
                "margins": {s: float(e.margin[i, j]) for j, s in enumerate(SITES)},
                "contributions": {f: float(e.contributions[i, j, k]) for j, f in enumerate(e.fields)}}
    return {
        "case_id": None if cid is None or (isinstance(cid, float) and np.isnan(cid)) else str(cid),
        "model": res.identity,
        "target_prior": res.target_prior,
        "probabilities": {s: float(x) for s, x in zip(SITES, p)},
        "prediction_set": members,
        "coverage": res.coverage,
        "reasons": _reasons(res, i, n_reasons),
        "explanation": expl,
        "next_tests": res.advice[i] if res.advice is not None else [],
        "warnings": res.warnings[i],
        "notice": RESEARCH_NOTICE,
    }


def batch_table(res: ScoreResult, extra: pd.DataFrame | None = None, n_reasons: int = 3) -> pd.DataFrame:
    """One row per case: probabilities, set, top reasons and the top next test (+ extra columns)."""
    out = pd.DataFrame({"case_id": res.table["case_id"].astype(object) if "case_id" in res.table.columns
                        else np.arange(1, len(res.table) + 1)})
    for k, s in enumerate(SITES):
        out[f"p_{s}"] = res.proba[:, k]
    out["top_site"] = np.array(SITES, dtype=object)[res.proba.argmax(axis=1)]
    out["prediction_set"] = [" or ".join(s for s, inn in zip(SITES, row) if inn) for row in res.sets]
    out["reasons"] = ["; ".join(r["text"] for r in _reasons(res, i, n_reasons)) for i in range(len(out))]
    out["next_test"] = [(a[0]["label"] if a else "") for a in (res.advice or [[]] * len(out))]
    out["warnings"] = ["; ".join(w) for w in res.warnings]
    out["target_prior"] = res.target_prior
    out["model_bundle"] = res.identity.get("bundle_hash")
    if extra is not None:
        for c in extra.columns:
            if c not in out.columns:
                out[c] = extra[c].to_numpy()
    return out


def score_cohort(model, validated, *, target_prior=None, coverage: float = 0.9, chunk: int = 10_000,
                 progress=None) -> pd.DataFrame:
    """Score a validated cohort in chunks; one row per case (:func:`batch_table`), with the
    cohort's extra columns carried through. ``progress(n_done)`` is called after each chunk."""
    table = validated.table
    parts = []
    for start in range(0, len(table), chunk):
        part = table.iloc[start:start + chunk].reset_index(drop=True)
        local = [type(n)(n.kind, n.message, n.fields, tuple(r - start for r in n.rows if start < r <= start + chunk))
                 for n in validated.notices if n.kind in ("inconsistent", "intended_use")]
        res = score_cases(model, part, notices=[n for n in local if n.rows], target_prior=target_prior,
                          coverage=coverage)
        parts.append(batch_table(res, extra=part[validated.extra_columns] if validated.extra_columns else None))
        if progress is not None:
            progress(len(part))
    return pd.concat(parts, ignore_index=True)
