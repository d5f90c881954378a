"""The words a clinician reads, one wording for every output (terminal, printable report, web page):
the setting, the sub-site breakdown, the header of the reasons, and the advice lines."""

from __future__ import annotations

from ..calibration import prior_words
from ._advise import NO_TEST_MATTERS, advice_text, percent


def setting_words(target_prior: str) -> str:
    """The deployment prior as a clinician reads it: what kind of case the probabilities assume.

    >>> setting_words("unknown-primary")
    'what liver metastases of an initially unknown primary turn out to be (setting unknown-primary)'
    """
    return f"{prior_words(target_prior)} (setting {target_prior})"


def subsite_breakdown(parts: dict, most: int = 4) -> str:
    """The sub-sites of one site worth naming, most probable first ("ileum 83%, jejunum 14%"):
    those of at least 1%, at most ``most``; "" when none is.

    >>> subsite_breakdown({"ileum": 0.83, "jejunum": 0.14})
    'ileum 83%, jejunum 14%'
    >>> subsite_breakdown({"lung": 0.004, "rectum": 0.003})
    ''
    """
    shown = [(k, v) for k, v in sorted(parts.items(), key=lambda kv: -kv[1]) if v >= 0.01][:most]
    more = sum(1 for v in parts.values() if v >= 0.01) - len(shown)
    return ", ".join(f"{k} {percent(v)}" for k, v in shown) + (f" and {more} more" if more > 0 else "")


def why_header(report: dict) -> str:
    """What the reason lines are: points toward or away from the most likely site that add up to
    the score behind its probability."""
    reasons = report.get("reasons") or []
    if not reasons:
        return "what moved the answer"
    site = reasons[0]["site"]
    total = round(sum(r["term"] for r in reasons), 1)
    return (
        f"points toward (+) or away from (-) {site}; the lines add up to {total:+.1f}, "
        f"the score behind its {percent(report['probabilities'][site])}"
    )


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
