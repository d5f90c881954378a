"""The words of the advice: a probability and a chance as a clinician reads them, the rule the
advice applies, and one advised test or panel with what each of its results would do."""

from __future__ import annotations

import functools

from ..contract import DETAIL_TO_SITE, SUBSITES


def percent(p: float) -> str:
    """A probability as shown to a clinician: "> 99%" and "< 1%" rather than 100% and 0%."""
    return "> 99%" if p > 0.99 else ("< 1%" if p < 0.01 else f"{p:.0%}")


NO_TEST_MATTERS = "no further test is likely to change the answer"


def chance(p: float) -> str:
    """A chance of something possible: "< 1%" or "> 99%", never 0% or 100% (and "none" only when
    it cannot happen: "no chance")."""
    return "no" if p <= 0 else ("all but certain" if p >= 1 else percent(p))


def _plural(n: float, word: str) -> str:
    return f"{n:g} {word}" + ("" if n == 1 else "s")


ADVICE_RULE = (
    "only tests with at least a 1% chance of changing the most likely site or the 90% set; "
    "what each result would do, as scoring the case with it entered gives"
)  # the rule :func:`~netorigin.inference.matters` applies, said where the advice is shown


def _result_text(r: dict) -> str:
    """One result of an advised test: its chance and what scoring the case with it entered gives."""
    top = max(r["probabilities"], key=r["probabilities"].get)
    # the sub-site adds something only when its site has several (pancreatic has one)
    several = r.get("top_subsite") and len(SUBSITES.get(DETAIL_TO_SITE.get(r["top_subsite"], ""), ())) > 1
    sub = f" ({r['top_subsite']} {percent(r['top_subsite_probability'])})" if several else ""
    members = r.get("prediction_set") or []
    moved = f", 90% set becomes {' or '.join(members)}" if r.get("changes_set") else ""
    return f"if {r['result']} ({chance(r['probability'])} likely): {top} {percent(r['probabilities'][top])}{sub}{moved}"


INVASIVE_WORDS = {  # what a test asks of the patient (data/tests.csv's invasiveness), said beside its cost
    "low": ", minimally invasive",
    "moderate": ", invasive (sedation)",
    "high": ", invasive (general anaesthesia)",
}

SHOWN_RESULTS = 4  # at most this many results of a test named one by one; the rest said together


def _results_text(results: list[dict]) -> list[str]:
    """Every result of a test or panel accounted for: up to :data:`SHOWN_RESULTS` named (the two
    most likely that change the answer, then those of at least 5%, then more that change it; most
    likely first), the rest named when one, else said together with their chance and whether any
    of them changes the answer."""
    order = sorted(results, key=lambda r: -r["probability"])
    moving = [r for r in order if r["changes_top_site"] or r["changes_set"]]
    likely = [r for r in order if r not in moving and r["probability"] >= 0.05]
    shown = moving[: SHOWN_RESULTS // 2] + likely
    shown = (shown + moving[SHOWN_RESULTS // 2 :])[:SHOWN_RESULTS]
    rest = [r for r in order if r not in shown]
    said = [_result_text(r) for r in sorted(shown, key=lambda r: -r["probability"])]
    if len(rest) == 1:
        said.append(_result_text(rest[0]))
    elif rest:
        p = sum(r["probability"] for r in rest)
        change = sum(r["probability"] for r in rest if r["changes_top_site"] or r["changes_set"])
        what = (
            f"{chance(change)} chance in all that they change the answer"
            if change > 0
            else "none changes the most likely site or the set"
        )
        said.append(f"the {len(rest)} other results ({chance(p)} likely together): {what}")
    return said


def advice_text(x: dict) -> str:
    """One recommended test or panel in plain words: its cost and delay, its expected information as
    a share of the remaining uncertainty about the site, its chance of changing the most likely site and the
    90% set, and what each result would do ("if SATB2 positive (3% likely): other 56% (caecum 55%)"),
    every number as scoring the case with that result entered gives. The one wording every output
    uses."""
    share = max(0.0, min(1.0, x.get("share_of_uncertainty", 0.0)))
    asks = INVASIVE_WORDS.get(x.get("invasiveness", "none"), "")
    shows = (
        f"{chance(x['chance_shows_primary'])} chance it shows a primary (seen or confirmed); "
        if "chance_shows_primary" in x
        else ""
    )
    mark = f" {ASSUMED_MARK}" if any(t in mostly_assumed() for t in x.get("tests", ())) else ""
    return (
        f"{x['label']}{mark} ({_plural(x['cost'], 'relative cost unit')}, "
        f"result in {_plural(x['turnaround_days'], 'day')}{asks}): {shows}"
        f"expected information {percent(share) if share > 0 else 'none'} of the remaining uncertainty about the site, "
        f"{chance(x['chance_top_site_changes'])} chance of changing the most likely site, "
        f"{chance(x['chance_set_changes'])} of changing the 90% set; " + "; ".join(_results_text(x["results"]))
    )


ASSUMED_MARK = "[assumed figures]"  # a reason whose literature figures are mostly netorigin's assumptions
ASSUMED_SOURCE = (
    f"{ASSUMED_MARK}: the figures behind a finding or test marked so in data/synthetic/parameters.csv (what the "
    "synthetic training cases were drawn from) are mostly netorigin's stated assumptions, not published "
    "figures; each row names its status and source (docs/synthetic.md)"
)


@functools.cache
def mostly_assumed() -> frozenset:
    """The fields more than half of whose rows in the bundled parameters.csv are assumed."""
    from collections import Counter

    from ..literature import default_literature

    total, assumed = Counter(), Counter()
    for r in default_literature().parameter_rows:
        fld = str(r["parameter"]).split(":", 1)[-1].split("=", 1)[0]
        total[fld] += 1
        assumed[fld] += r.get("status") == "assumed"
    return frozenset(f for f in total if assumed[f] > total[f] / 2)
