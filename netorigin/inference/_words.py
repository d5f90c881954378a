"""The words a clinician reads, one wording for every output (terminal, printable report, web page,
API, MLflow serving): the warnings, the reasons, what the prediction set means, the setting, the
sub-site breakdown, the header of the reasons, the advice lines and the model."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from ..contract import (
    FIELDS,
    PROCEDURE_FIELDS,
    SITES,
    column_values,
    field_label,
    value_words,
)
from ..estimator import SET_ABOVE, SET_KEPT, prior_words
from ..io import INFORMATION_BINS, unlike_training
from ..literature import contradiction_records, contradictions_in
from ._advice_words import (  # noqa: F401 (one wording: re-exported where the words are read)
    ADVICE_RULE,
    ASSUMED_MARK,
    ASSUMED_SOURCE,
    NO_TEST_MATTERS,
    SHOWN_RESULTS,
    advice_text,
    chance,
    mostly_assumed,
    percent,
)

if TYPE_CHECKING:
    from ._result import ScoreResult


def setting_words(target_prior: str) -> str:
    """The deployment prior as a clinician reads it: what kind of case the probabilities assume.

    >>> setting_words("unknown-primary")
    'what liver metastases of an initially unknown primary turn out to be (setting unknown-primary)'
    """
    return f"{prior_words(target_prior)} (setting {target_prior})"


_LABEL_WORDS = {"other": "organ unspecified"}  # the sub-site "other": an other primary, organ not named


def subsite_breakdown(parts: dict, most: int = 4) -> str:
    """The sub-sites of one site worth naming, most probable first ("ileum 83%, jejunum 14%"):
    those of at least 1%, at most ``most``; "" when none is.

    >>> subsite_breakdown({"ileum": 0.83, "jejunum": 0.14})
    'ileum 83%, jejunum 14%'
    >>> subsite_breakdown({"lung": 0.004, "rectum": 0.003})
    ''

    The sub-site ``other`` (an other primary whose organ is not named, where a model counts the
    sub-sites too rare to learn) is said as such, never as an organ:

    >>> subsite_breakdown({"lung": 0.6, "other": 0.12})
    'lung 60%, organ unspecified 12%'
    """
    shown = [(k, v) for k, v in sorted(parts.items(), key=lambda kv: -kv[1]) if v >= 0.01][:most]
    more = sum(1 for v in parts.values() if v >= 0.01) - len(shown)
    return ", ".join(f"{_LABEL_WORDS.get(k, k)} {percent(v)}" for k, v in shown) + (
        f" and {more} more" if more > 0 else ""
    )


def why_header(report: dict) -> str:
    """What the reason lines are: points toward or away from the most likely site that add up to
    the score behind its probability (among the sites the setting allows, when it rules some out)."""
    reasons = report.get("reasons") or []
    if not reasons:
        return "what moved the answer"
    site = reasons[0]["site"]
    allowed = [s for s, p in ((report.get("information") or {}).get("prior_alone") or {}).items() if p > 0]
    if len(allowed) == 1:
        return f"the setting allows only {site}"
    among = f" among {_either(allowed)}, the sites the setting allows" if 1 < len(allowed) < len(SITES) else ""
    total = round(sum(r["term"] for r in reasons), 1)
    return (
        f"points toward (+) or away from (-) {site}{among}; the lines add up to {total:+.1f}, "
        f"the score behind its {percent(report['probabilities'][site])}"
    )


def _either(sites) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    sites = list(sites)
    return sites[0] if len(sites) == 1 else f"{', '.join(sites[:-1])} and {sites[-1]}"


def ruled_out(res: ScoreResult) -> list[str]:
    """The sites the setting rules out (a share of 0): no probability, never in a set."""
    return [s for s, p in zip(SITES, res.prior_alone) if p <= 0]


def model_words(identity: dict) -> str:
    """The model as a clinician reads it: name, bundle, version and what it was trained on.

    >>> model_words({"name": "m", "bundle_hash": "4f8deaef087dxx", "version": "0.2.0",
    ...              "training_data": "synthetic, scenario training-mix, n=80000, seed=1, 400 plausible worlds"})
    'm (bundle 4f8deaef087d, netorigin 0.2.0), trained on 80,000 synthetic cases from 400 plausible worlds'
    """
    import re

    desc = str(identity.get("training_data") or "an unrecorded cohort")
    n = re.search(r"\bn=(\d+)", desc)
    worlds = re.search(r"(\d+) plausible worlds", desc)
    if desc.startswith("synthetic") and n:
        desc = f"{int(n.group(1)):,} synthetic cases" + (f" from {worlds.group(1)} plausible worlds" if worlds else "")
    bundle = str(identity.get("bundle_hash"))[:12]
    return f"{identity.get('name')} (bundle {bundle}, netorigin {identity.get('version')}), trained on {desc}"


def advice_lines(report: dict) -> list[str]:
    """The next tests and the best panel, numbered, or the one sentence saying none would matter."""
    tests = report.get("next_tests") or []
    panels = report.get("next_panels") or []
    if not tests and not panels:
        return [NO_TEST_MATTERS[0].upper() + NO_TEST_MATTERS[1:] + "."]
    lines = [f"{i}. {advice_text(x)}" for i, x in enumerate(tests, 1)]
    return lines + [f"Ordered together: {advice_text(x)}" for x in panels]


def rests_on_assumptions(report: dict) -> bool:
    """Whether a reason or an advised test of ``report`` is marked as resting mostly on assumed
    figures (then :data:`ASSUMED_SOURCE` is said beside them)."""
    return any(r.get("figures") == "assumed" for r in report.get("reasons") or []) or any(
        ASSUMED_MARK in line for line in advice_lines(report)
    )


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
    return value_words(fld, v)


def assumed_words(setting: str, assumed, taken=()) -> str:
    """What a setting assumes, said where its answer is shown ("" for a setting that assumes
    nothing); ``taken``: the case's recorded negatives the setting already holds.

    >>> assumed_words("unknown-primary", ["proc_eus"], ["proc_eus"])[:75]
    'The setting unknown-primary assumes the routine work-up found no primary: e'
    """
    if not assumed:
        return ""
    names = [field_label(f) for f in assumed]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    text = (
        f"The setting {setting} assumes the routine work-up found no primary: {listed} negative "
        "(its site mix already holds that, so these negatives are not counted again)"
    )
    if taken:
        got = [field_label(f) for f in taken]
        text += "; recorded here and counted once, in the setting: " + ", ".join(got)
    return text + "."


def _procedure_warnings(res: ScoreResult, model) -> list[list[str]]:
    """Per case: a recorded procedure the model does not read (never silently ignored), and a
    lesion recorded on a procedure the setting assumes negative (the setting does not describe
    the case)."""
    raw = res.raw_table if res.raw_table is not None else res.table
    out = [[] for _ in range(len(raw))]
    known = model.cells_.fields_read()
    for f in PROCEDURE_FIELDS:
        if f not in raw.columns:
            continue
        vals = column_values(raw, f)
        for i in np.flatnonzero(np.array([v is not None for v in vals], dtype=bool)):
            held = f in res.assumed and vals[i] == "negative"  # counted in the setting, whatever the model
            if f not in known and not held:
                out[i].append(
                    f"{field_label(f)} {value_words(f, vals[i])}: recorded but not used (this model was "
                    "trained before procedures were part of the case and does not know them)"
                )
            if f in res.assumed and not held:
                out[i].append(
                    f"the setting {res.target_prior} assumes {field_label(f)} found no primary, but this case "
                    f"records {value_words(f, vals[i])}: the setting does not describe this case (its site mix "
                    "already counts that procedure as negative); the liver-metastasis archive setting assumes "
                    "nothing of it"
                )
    return out


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
    for i, extra in enumerate(_procedure_warnings(res, model)):
        first[i] += extra
    for i, extra in enumerate(unlike_training(getattr(model, "profile_", None), table)):
        out[i] += [f"unlike the training data: {e}" for e in extra]
    prior_txt = ", ".join(f"{s} {percent(p)}" for s, p in zip(SITES, res.prior_alone))
    out_of_it = ruled_out(res)
    for i, fields in enumerate(res.informative):
        tv = 0.5 * float(np.abs(res.proba[i] - res.prior_alone).sum())
        if out_of_it:  # said first: no finding can bring these sites back
            only = [s for s in SITES if s not in out_of_it]
            rest = f"{only[0]} is the only site possible" if len(only) == 1 else f"only {_either(only)} are possible"
            out[i].insert(
                0,
                f"the setting ({res.target_prior}) rules out {_either(out_of_it)} whatever the findings (no "
                f"probability, never in the set); {rest}",
            )
        elif tv < PRIOR_CLOSE:
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
    if len(ruled_out(res)) == len(SITES) - 1:  # nothing to weigh: the setting leaves one site
        text = f"the setting: it rules out {_either(ruled_out(res))}, so no finding can move the answer from {site}"
        return [{"field": "deployment_prior", "value": res.target_prior, "site": site, "term": 0.0, "text": text}]
    terms = e.terms[i, :, k]
    done = np.array([res._recorded(f)[i] for f in e.fields])
    out = []
    for j in np.argsort(-np.abs(np.where(done, terms, 0.0)), kind="stable")[:n]:
        v = float(terms[j])
        if not done[j] or abs(v) < REASON_MIN:
            continue
        fld = e.fields[j]
        value = _value_text(res, i, fld)
        mark = f" {ASSUMED_MARK}" if fld in mostly_assumed() else ""
        out.append(
            {
                "field": fld,
                "value": value,
                "site": site,
                "term": round(v, 4),
                "figures": "assumed" if mark else "published or derived",
                "text": f"{field_label(fld)} {value}{mark}: {_toward(v)} {site} ({v:+.1f})",
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
        top = [(q, lab) for q, lab in sorted(own, reverse=True)[:2] if q >= 0.005]
        if top and [lab for _, lab in top] != [site]:  # a site's sole label named as the site says nothing
            named = [f"{_LABEL_WORDS.get(lab, lab)} ({percent(q)})" for q, lab in top]
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
    if ruled_out(res):
        stratum = f" the setting allows{stratum}"
        head += f" The setting rules out {_either(ruled_out(res))}."
    guarantee = (
        f"Guarantee (from the model's own calibration cases, in this setting): among cases of any one site{stratum}, "
        f"sets made this way hold the true site at least {cov:.0%} of the time; not a probability for this case alone."
    )
    return " ".join([head, *kept, *above, guarantee])


WARNING_KINDS = ("out_of_scope", "inconsistent", "intended_use", "read_as")  # notices shown with a case


FEW_FIELDS = 2  # at most this many informative fields recorded: "only N findings" when the answer is the prior's


PRIOR_CLOSE = 0.15  # the answer is "close to what the setting alone gives" below this total variation


REASON_MIN = 0.05  # a term smaller than this (clr units) is not listed as a reason
