"""Score cases with a fitted model: warnings, probabilities (and the sub-site breakdown), the
prediction set, reasons that add up to the probabilities shown, the next test to order.

:func:`score_cases` works on one case or a whole cohort; :func:`case_report` gives one case as a
JSON-able dict with stable keys (:data:`REPORT_KEYS`), and :func:`batch_table` a cohort as a table.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..calibration import EXPLANATION_SCALE, SET_ABOVE, SET_KEPT, prior_words
from ..contract import FIELDS, RESEARCH_NOTICE, SITES, column_values, field_label, recorded_mask
from ..exceptions import InputError
from ..features import INFORMATION_BINS, informative_fields
from ..literature import SCENARIOS, contradiction_records, contradictions_in
from ._advise import load_test_table, matters, next_tests, percent

if TYPE_CHECKING:
    import pandas as pd

REPORT_KEYS = (
    "case_id",
    "model",
    "notice",
    "scope",
    "warnings",
    "inputs",
    "target_prior",
    "probabilities",
    "subsite_probabilities",
    "prediction_set",
    "coverage",
    "set_meaning",
    "reasons",
    "explanation",
    "probabilities_by_prior",
    "information",
    "next_tests",
    "next_panels",
)

SCOPE_INSIDE = "primary site of a liver metastasis of a well-differentiated NET"
SCOPE_OUTSIDE = (
    "OUTSIDE THE INTENDED USE (poorly differentiated carcinoma), scored on request: the model knows "
    "well-differentiated NETs only and these probabilities are not meaningful for this case"
)
WARNING_KINDS = ("out_of_scope", "inconsistent", "intended_use", "read_as")  # notices shown with a case
FEW_FIELDS = 2  # at most this many informative fields recorded: "only N findings" when the answer is the prior's
PRIOR_CLOSE = 0.15  # the answer is "close to what the setting alone gives" below this total variation
REASON_MIN = 0.05  # a term smaller than this (clr units) is not listed as a reason
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


@dataclass
class ScoreResult:
    table: pd.DataFrame
    proba: np.ndarray  # (n, 3) sites, under the target prior
    label_proba: np.ndarray  # (n, labels)
    labels: np.ndarray
    label_site: np.ndarray  # (labels,) the site index of each label
    sets: np.ndarray
    coverage: float
    set_reasons: np.ndarray  # (n, 3) why each site is in each case's set ("" when it is not)
    stratified_sets: bool  # whether the sets' guarantee is within strata of recorded fields
    target_prior: str
    identity: dict
    prior_alone: np.ndarray  # (3,) the site mix of the target prior
    by_prior: dict = field(default_factory=dict)  # prior name -> (n, 3)
    explanation: object = None
    advice: list | None = None
    panels: list | None = None
    warnings: list = field(default_factory=list)
    outside: np.ndarray | None = None  # cases outside the intended use (scored on request)
    informative: list = field(default_factory=list)  # each case's recorded site-informative fields
    _cols: dict | None = None

    def _columns(self) -> dict:
        """The table's columns as plain object arrays (fast per-case access)."""
        if self._cols is None:
            self._cols = {c: column_values(self.table, c) for c in self.table.columns}
        return self._cols

    def recorded(self, i: int, fld: str) -> bool:
        return bool(self._recorded(fld)[i])

    def _recorded(self, fld: str) -> np.ndarray:
        cache = self.__dict__.get("_rec")
        if cache is None:  # one pass over every column
            mask = recorded_mask(self.table, self.table.columns)
            cache = self.__dict__["_rec"] = {c: mask[:, j] for j, c in enumerate(self.table.columns)}
        return cache[fld] if fld in cache else np.zeros(len(self.table), dtype=bool)


def _value_text(res: ScoreResult, i: int, fld: str) -> str:
    v = res._columns()[fld][i]
    if fld == "ki67_percent":
        return f"{v:g}%"
    if fld == "largest_liver_lesion_cm":
        return f"{v:g} cm"
    if fld == "age_years":
        return f"{v:g} years"
    f = FIELDS.get(fld)
    if (f is not None and f.kind == "number") or fld.startswith("expr_"):
        return f"{float(v):g}"
    return str(v)


@functools.lru_cache(maxsize=1)
def _contradictions():
    from types import SimpleNamespace

    return [SimpleNamespace(**r) for r in contradiction_records()]


def _warnings(validated_notices, table, model, res: ScoreResult) -> list[list[str]]:
    """Each case's warnings, most serious first: outside the intended use, contradictory
    results, an answer that rests on the prior, other inconsistencies, unlike the training data."""
    first = [[] for _ in range(len(table))]
    out = [[] for _ in range(len(table))]
    for n in validated_notices or []:
        if n.kind in WARNING_KINDS:
            text = n.case_text or n.message
            for r in n.rows or tuple(range(1, len(table) + 1)):
                if 1 <= r <= len(table):
                    (first if n.kind == "out_of_scope" else out)[r - 1].append(text)
    for i, found in enumerate(contradictions_in(table, _contradictions())):
        first[i] += found
    for i, extra in enumerate(model.unlike_training(table)):
        out[i] += [f"unlike the training data: {e}" for e in extra]
    prior_txt = ", ".join(f"{s} {percent(p)}" for s, p in zip(SITES, res.prior_alone))
    for i, fields in enumerate(res.informative):
        tv = 0.5 * float(np.abs(res.proba[i] - res.prior_alone).sum())
        if tv < PRIOR_CLOSE:
            few = (
                f"only {len(fields)} site-informative finding(s) recorded"
                if len(fields) <= FEW_FIELDS
                else ("the recorded findings pull in different directions")
            )
            out[i].insert(
                0,
                f"the answer is close to what the setting alone gives ({prior_words(res.target_prior)}: "
                f"{prior_txt}): {few}, so the findings move it little",
            )
    out = [a + b for a, b in zip(first, out)]
    return out


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
    """Score every case of ``cohort`` (a validated canonical table or anything in the contract)
    with a fitted :class:`~netorigin.calibration.SiteModel`.

    ``notices``: the validation notices of the cohort (to turn into per-case warnings).
    ``panel``: also recommend the best panel of this many tests (2 or 3; 0: none).
    ``tests``: a lab's test table (``data/tests.csv`` layout): unavailable tests are never
    suggested. ``per_cost``: rank by expected information per unit of cost.

    Parameters
    ----------
    model : SiteModel
        A fitted model.
    cohort : DataFrame or CaseColumns
        See above.
    notices : list of Notice, optional
        See above.
    target_prior : str, optional
        The setting (default: the model's).
    coverage : float
        Level of the prediction sets.
    reasons : bool
        Compute the reasons.
    advice : bool
        Compute the next tests.
    panel : int
        See above.
    tests : str or Path, optional
        See above.
    per_cost : bool
        See above.
    details : bool
        What each result of an advised test would do (off for cohort tables).

    Returns
    -------
    ScoreResult
        Probabilities, sets, reasons, advice and warnings of every case.
    """
    fwd = model.forward(cohort, target_prior=target_prior, reasons=reasons)
    table, proba, label_proba = fwd.table, fwd.proba, fwd.label_proba
    name, lp, _ = model.prior_.resolve(target_prior)
    prior_alone = np.array([lp[model.label_site_ == k].sum() for k in range(len(SITES))])
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
        identity=model.identity(),
        prior_alone=prior_alone,
        by_prior=by_prior,
        informative=informative_fields(table),
        explanation=fwd.explanation,
    )
    if advice:
        costs = load_test_table(tests)
        res.advice = next_tests(
            model,
            table,
            proba,
            label_proba=label_proba,
            target_prior=target_prior,
            costs=costs,
            per_cost=per_cost,
            details=details,
        )
        if panel:
            if panel not in (2, 3):
                raise InputError(f"panel: {panel!r} is not 2 or 3 (tests ordered together)")
            res.panels = next_tests(
                model,
                table,
                proba,
                label_proba=label_proba,
                target_prior=target_prior,
                costs=costs,
                per_cost=per_cost,
                panel=panel,
                top=1,
            )
    # advice only when it can matter: a test that cannot change the answer is not listed
    res.advice = None if res.advice is None else [[x for x in a if matters(x)] for a in res.advice]
    res.panels = None if res.panels is None else [[x for x in a if matters(x)] for a in res.panels]
    res.warnings = _warnings(notices, table, model, res)
    res.outside = np.zeros(len(table), dtype=bool)
    for n in notices or []:
        if n.kind == "out_of_scope":
            res.outside[[r - 1 for r in n.rows or range(1, len(table) + 1) if 1 <= r <= len(table)]] = True
    return res


def _reasons(res: ScoreResult, i: int, n: int = 5) -> list[dict]:
    """The top site's reasons: recorded findings by the size of their points, the setting (the
    deployment prior) when it matters, and one "everything else" line, so that the lines add up to
    the top site's score (its centred log-ratio) exactly. Tests not done are never a reason of
    their own: what the model does without them is part of "everything else"."""
    e = res.explanation
    if e is None:
        return []
    k = int(res.proba[i].argmax())
    site = SITES[k]
    terms = e.terms[i, :, k]
    done = np.array([res._recorded(f)[i] for f in e.fields])
    out = []
    for j in np.argsort(-np.abs(np.where(done, terms, 0.0)), kind="stable")[:n]:
        v = float(terms[j])
        if not done[j] or abs(v) < REASON_MIN:
            continue
        fld = e.fields[j]
        value = _value_text(res, i, fld)
        out.append(
            {
                "field": fld,
                "value": value,
                "site": site,
                "term": round(v, 4),
                "text": f"{field_label(fld)} {value}: {_toward(v)} {site} ({v:+.1f})",
            }
        )
    prior = float(e.prior[i, k])
    if abs(prior) >= 0.1:
        out.append(
            {
                "field": "deployment_prior",
                "value": res.target_prior,
                "site": site,
                "term": round(prior, 4),
                "text": f"the setting: {_toward(prior)} {site} ({prior:+.1f})",
            }
        )
    total = float(e.total[i, k])
    rest = total - sum(r["term"] for r in out)
    # the line as shown takes up the rounding of the others: the shown points add up to the shown total
    shown = round(total, 1) - sum(round(r["term"], 1) for r in out)
    out.append(
        {
            "field": "everything_else",
            "value": "",
            "site": site,
            "term": round(rest, 4),
            "text": f"everything else (starting point, smaller findings, tests not done): "
            f"{_toward(shown)} {site} ({shown + 0.0:+.1f})",
        }
    )
    return out


def _toward(v: float) -> str:
    return "toward" if v >= 0 else "away from"


def _fields_phrase(n_fields: int) -> str:
    name = next(name for lo, hi, name in INFORMATION_BINS if lo <= n_fields <= hi)
    return "no site-informative field" if name == "0" else f"{name} site-informative fields"


def _kept_because(res: ScoreResult, i: int, k: int, who: str) -> str:
    """Why a site of low probability stays in the set; for a sub-site model, which sub-sites."""
    site, p = SITES[k], res.proba[i, k]
    subs = ""
    if not set(res.labels) <= set(SITES):
        own = [(float(res.label_proba[i, j]), str(lab)) for j, lab in enumerate(res.labels) if res.label_site[j] == k]
        named = [f"{lab} ({percent(q)})" for q, lab in sorted(own, reverse=True)[:2] if q >= 0.005]
        if named and named != [f"{site} ({percent(p)})"]:
            subs = f" because {' and '.join(named)} cannot be excluded"
    return (
        f"{site} ({percent(p)}) is kept{subs}: at least about {1 - res.coverage:.0%} of cases whose primary "
        f"was {site}, with {who} recorded, got a probability of {site} this low or lower"
    )


def _set_meaning(res: ScoreResult, i: int) -> str:
    """What the set says and what is guaranteed, in words: the same sentence everywhere it is shown."""
    cov, why = res.coverage, res.set_reasons[i]
    members = [k for k in range(len(SITES)) if why[k]]
    who = _fields_phrase(len(res.informative[i]))
    if len(members) == 1:
        head = (
            f"At the {cov:.0%} level the answer is settled: {SITES[members[0]]} ({percent(res.proba[i, members[0]])})."
        )
    elif len(members) == len(SITES):
        every = f"{', '.join(SITES[:-1])} or {SITES[-1]}"
        head = f"At the {cov:.0%} level the site cannot be narrowed: it may be any of {every}."
    else:
        held = float(res.proba[i, members].sum())
        head = (
            f"At the {cov:.0%} level the site is {' or '.join(SITES[k] for k in members)} ({percent(held)} together)."
        )
    kept = [_kept_because(res, i, k, who) + "." for k in members if why[k] == SET_KEPT]
    above = [
        f"{SITES[k]} ({percent(res.proba[i, k])}) is in because it is more probable than a site kept."
        for k in members
        if why[k] == SET_ABOVE
    ]
    stratum = f" with {who} recorded" if res.stratified_sets else ""
    guarantee = (
        f"Guarantee (from the model's own calibration cases, in this setting): among cases of any one site{stratum}, "
        f"sets made this way hold the true site at least {cov:.0%} of the time; not a probability for this case alone."
    )
    return " ".join([head, *kept, *above, guarantee])


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
            "scale": EXPLANATION_SCALE,
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
    return {
        "case_id": None if cid is None or (isinstance(cid, float) and np.isnan(cid)) else str(cid),
        "model": res.identity,
        "notice": res.identity.get("notice") or RESEARCH_NOTICE,
        "scope": SCOPE_OUTSIDE if res.outside is not None and res.outside[i] else SCOPE_INSIDE,
        "warnings": res.warnings[i],
        "inputs": {
            f: _value_text(res, i, f)
            for f in res.table.columns
            if f != "case_id" and (f in FIELDS or str(f).startswith("expr_")) and res.recorded(i, f)
        },
        "target_prior": res.target_prior,
        "probabilities": {s: float(x) for s, x in zip(SITES, p)},
        "subsite_probabilities": sub,
        "prediction_set": members,
        "coverage": res.coverage,
        "set_meaning": _set_meaning(res, i),
        "reasons": _reasons(res, i, n_reasons),
        "explanation": expl,
        "probabilities_by_prior": {
            name: {s: float(x) for s, x in zip(SITES, v[i])} for name, v in res.by_prior.items()
        },
        "information": {
            "informative_fields": fields,
            "prior_alone": {s: float(x) for s, x in zip(SITES, res.prior_alone)},
            "distance_from_prior": 0.5 * float(np.abs(p - res.prior_alone).sum()),
        },
        "next_tests": res.advice[i] if res.advice is not None else [],
        "next_panels": res.panels[i] if res.panels is not None else [],
    }


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
    validated : ValidatedCohort
        The cohort.
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

    Returns
    -------
    DataFrame
        One row per case (:data:`BATCH_TEXT_COLUMNS` after the probabilities).
    """
    import pandas as pd

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
