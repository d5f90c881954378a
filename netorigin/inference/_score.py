"""Score cases with a fitted model: warnings, probabilities (and the sub-site breakdown), the
prediction set, reasons that add up to the probabilities shown, the next test to order.

:func:`score_cases` works on one case or a whole cohort; :func:`case_report` gives one case as a
JSON-able dict with stable keys (:data:`REPORT_KEYS`), and :func:`batch_table` a cohort as a table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..contract import FIELDS, RESEARCH_NOTICE, SITES, read_canonical, site_sums, value_words
from ..exceptions import InputError
from ..io import informative_fields
from ..literature import SCENARIOS
from ._advise import matters, next_tests
from ._headline import headline, other_settings_line
from ._result import ScoreResult
from ._tests import load_test_table
from ._words import (
    WARNING_KINDS,
    _reasons,
    _set_meaning,
    _value_text,
    _warnings,
    assumed_words,
)

if TYPE_CHECKING:
    pass

REPORT_KEYS = (
    "case_id",
    "model",
    "notice",
    "scope",
    "warnings",
    "inputs",
    "target_prior",
    "assumed_by_setting",
    "probabilities",
    "subsite_probabilities",
    "headline",
    "prediction_set",
    "coverage",
    "set_meaning",
    "reasons",
    "explanation",
    "probabilities_by_prior",
    "other_settings",
    "information",
    "next_tests",
    "next_panels",
)

SCOPE_INSIDE = "primary site of a liver metastasis of a well-differentiated NET"
SCOPE_OUTSIDE = (
    "OUTSIDE THE INTENDED USE (poorly differentiated carcinoma), scored on request: the model knows "
    "well-differentiated NETs only and these probabilities are not meaningful for this case"
)


def score_cases(
    model,
    cohort,
    *,
    notices=None,
    target_prior=None,
    coverage: float = 0.9,
    reasons: bool = True,
    advice: bool = True,
    panel: int = 0,
    tests=None,
    per_cost: bool = False,
    details: bool = True,
) -> ScoreResult:
    """Score every case of ``cohort`` with a fitted :class:`~netorigin.estimator.SiteModel`.

    Parameters
    ----------
    model : SiteModel
        A fitted model.
    cohort : ValidatedCohort, DataFrame, CaseColumns or mapping
        The cases: a :class:`~netorigin.contract.ValidatedCohort` (what ``validate_cohort``,
        ``validate_case`` and ``load_cases`` return; its notices are used); a canonical table or
        the ``cases`` of a validated case (taken as they are: pass their ``notices``); a table in
        the contract with raw values and synonyms (validated here, its notices used: a case
        outside the intended use is flagged as such); or one case as a mapping of field -> value
        (validated here likewise).
    notices : list of Notice, optional
        Validation notices (turned into per-case warnings and the out-of-scope flag). Default:
        those of the validation, when ``cohort`` is a ValidatedCohort or is validated here.
    target_prior : str, optional
        The setting (default: the model's).
    coverage : float
        Level of the prediction sets.
    reasons : bool
        Compute the reasons.
    advice : bool
        Compute the next tests.
    panel : int
        Also recommend the best panel of this many tests (2 or 3; 0: none).
    tests : str or Path, optional
        A lab's test table (``data/tests.csv`` layout): unavailable tests are never suggested.
    per_cost : bool
        Rank tests by expected information per unit of cost.
    details : bool
        What each result of an advised test would do (off for cohort tables).

    Returns
    -------
    ScoreResult
        Probabilities, sets, reasons, advice and warnings of every case.
    """
    cases, found = read_canonical(cohort)
    notices = found if notices is None else notices
    fwd = model.forward(cases, target_prior=target_prior, reasons=reasons)
    table, proba, label_proba = fwd.table, fwd.proba, fwd.label_proba
    name, lp, _ = model.prior_.resolve(target_prior)
    prior_alone = site_sums(lp, model.label_site_)
    by_prior = {p: fwd.proba_under(p) for p in ("training", *SCENARIOS)}
    why = fwd.set_reasons(coverage)
    res = ScoreResult(
        table=table,
        proba=proba,
        label_proba=label_proba,
        labels=model.labels_,
        label_site=model.label_site_,
        sets=why != "",
        coverage=coverage,
        set_reasons=why,
        stratified_sets=model.conformal_.stratified,
        target_prior=name,
        identity=model.identity_.as_dict(),
        prior_alone=prior_alone,
        by_prior=by_prior,
        informative=informative_fields(table, model.cells_.unread_fields()),
        explanation=fwd.explanation,
        raw_table=fwd.raw_table,
        assumed=fwd.assumed,
        taken=fwd.taken_fields,
    )
    if advice:
        _advise(
            res, model, fwd, target_prior, panel=panel, costs=load_test_table(tests), per_cost=per_cost, details=details
        )
    res.warnings = _warnings(notices, table, model, res)
    res.outside = np.zeros(len(table), dtype=bool)
    for n in notices or []:
        if n.kind == "out_of_scope":
            res.outside[[r - 1 for r in n.rows or range(1, len(table) + 1) if 1 <= r <= len(table)]] = True
    return res


def _advise(res: ScoreResult, model, fwd, target_prior, *, panel: int, costs, per_cost: bool, details: bool) -> None:
    """The next tests (and the best panel of ``panel`` tests) of every case, valued by the model
    that scores (:func:`~netorigin.inference.next_tests`), kept only when they could change the
    answer (:func:`~netorigin.inference.matters`)."""
    if panel and panel not in (2, 3):
        raise InputError(f"panel: {panel!r} is not 2 or 3 (tests ordered together)")
    common = {"forward": fwd, "target_prior": target_prior, "coverage": res.coverage, "costs": costs}
    advice = next_tests(model, res.table, per_cost=per_cost, details=details, **common)
    res.advice = [[x for x in a if matters(x)] for a in advice]
    if panel:
        panels = next_tests(model, res.table, panel=panel, top=1, per_cost=per_cost, details=True, **common)
        res.panels = [[x for x in a if matters(x)] for a in panels]


def case_report(res: ScoreResult, i: int = 0, n_reasons: int = 5) -> dict:
    """One case as a dict with stable keys (:data:`REPORT_KEYS`).

    Parameters
    ----------
    res : ScoreResult
        What :func:`score_cases` returned.
    i : int
        Which case (0-based).
    n_reasons : int
        At most this many findings among the reasons.

    Returns
    -------
    dict
        JSON-able, with the keys of :data:`REPORT_KEYS`.
    """
    p = res.proba[i]
    members = [s for s, inn in zip(SITES, res.sets[i]) if inn]
    cid = res._columns()["case_id"][i] if "case_id" in res.table.columns else None
    expl = None
    if res.explanation is not None:
        e = res.explanation
        expl = {
            "scale": e.scale,
            "total": dict(zip(SITES, e.total[i].tolist())),
            "baseline": dict(zip(SITES, e.baseline[i].tolist())),
            "calibration": dict(zip(SITES, e.calibration[i].tolist())),
            "prior": dict(zip(SITES, e.prior[i].tolist())),
            "terms": {f: dict(zip(SITES, row)) for f, row in zip(e.fields, e.terms[i].tolist())},
            "recorded": [f for f in e.fields if res.recorded(i, f)],
        }
    sub = None
    if not set(res.labels) <= set(SITES):
        sub = {
            s: {str(lab): float(res.label_proba[i, j]) for j, lab in enumerate(res.labels) if res.label_site[j] == k}
            for k, s in enumerate(SITES)
        }
    fields = res.informative[i]
    by_prior = {name: {s: float(x) for s, x in zip(SITES, v[i])} for name, v in res.by_prior.items()}
    return {
        "case_id": None if cid is None or (isinstance(cid, float) and np.isnan(cid)) else str(cid),
        "model": res.identity,
        "notice": res.identity.get("notice") or RESEARCH_NOTICE,
        "scope": SCOPE_OUTSIDE if res.outside is not None and res.outside[i] else SCOPE_INSIDE,
        "warnings": res.warnings[i],
        "inputs": _inputs(res, i),
        "target_prior": res.target_prior,
        "assumed_by_setting": assumed_words(res.target_prior, res.assumed, res.taken[i] if res.taken else ()),
        "probabilities": {s: float(x) for s, x in zip(SITES, p)},
        "subsite_probabilities": sub,
        "headline": headline({s: float(x) for s, x in zip(SITES, p)}, sub),
        "prediction_set": members,
        "coverage": res.coverage,
        "set_meaning": _set_meaning(res, i),
        "reasons": _reasons(res, i, n_reasons),
        "explanation": expl,
        "probabilities_by_prior": by_prior,
        "other_settings": other_settings_line(res.target_prior, by_prior),
        "information": {
            "informative_fields": fields,
            "prior_alone": {s: float(x) for s, x in zip(SITES, res.prior_alone)},
            "distance_from_prior": 0.5 * float(np.abs(p - res.prior_alone).sum()),
        },
        "next_tests": res.advice[i] if res.advice is not None else [],
        "next_panels": res.panels[i] if res.panels is not None else [],
    }


def _inputs(res: ScoreResult, i: int) -> dict:
    """The case's recorded fields in words, as given (a negative the setting holds included)."""
    out = {
        f: _value_text(res, i, f)
        for f in res.table.columns
        if f != "case_id" and (f in FIELDS or str(f).startswith("expr_")) and res.recorded(i, f)
    }
    for f in res.taken[i] if res.taken else ():
        out[f] = value_words(f, "negative")
    return {f: out[f] for f in [*res.table.columns, *res.taken[i]] if f in out} if res.taken and res.taken[i] else out


def case_reports(
    model,
    validated: list,
    *,
    target_prior=None,
    coverage: float = 0.9,
    panel: int = 2,
    tests=None,
    per_cost: bool = False,
) -> list[dict]:
    """The report of each of several cases validated one by one (:func:`~netorigin.contract.validate_case`),
    scored together: one pass of the model for all of them. Each report is the one the case gets
    alone (the same keys and the same numbers, tested); a server uses this to answer the requests
    that arrive together."""
    from dataclasses import replace

    from ..contract import CaseColumns

    if not validated:
        return []
    parts, notices, at = [], [], 0
    for v in validated:
        cases = v.cases
        if not isinstance(cases, CaseColumns):
            raise TypeError("case_reports takes cases validated one by one (validate_case)")
        parts.append(cases)
        notices += [
            replace(n, rows=tuple(r + at for r in (n.rows or range(1, len(cases) + 1))))
            for n in v.notices
            if n.kind in WARNING_KINDS
        ]
        at += len(cases)
    res = score_cases(
        model,
        CaseColumns.concat(parts),
        notices=notices,
        target_prior=target_prior,
        coverage=coverage,
        panel=panel,
        tests=tests,
        per_cost=per_cost,
    )
    return [case_report(res, i) for i in range(at)]
