"""The answer in one line, and how it changes with the setting in another: what a tumour board
reads first."""

from __future__ import annotations

from ._advice_words import percent

SITE_WORDS = {"ileal": "small intestine", "pancreatic": "pancreas", "other": "an other primary"}


def headline(probabilities: dict, subsites: dict | None) -> str:
    """The answer in one line: the most likely site, or its sub-site when that carries the answer
    (a site of several sub-sites whose most likely one holds at least half of all the probability).

    >>> headline({"ileal": 0.02, "pancreatic": 0.01, "other": 0.97}, {"other": {"lung": 0.96, "rectum": 0.01}})
    'most likely lung (96%), an other primary'
    >>> headline({"ileal": 0.55, "pancreatic": 0.4, "other": 0.05}, {"ileal": {"ileum": 0.45, "jejunum": 0.1}})
    'most likely ileal (55%)'
    """
    site = max(probabilities, key=probabilities.get)
    own = (subsites or {}).get(site) or {}
    named = {k: v for k, v in own.items() if k != "other"}
    if len(own) > 1 and named:
        sub = max(named, key=named.get)
        if named[sub] >= 0.5:
            return f"most likely {sub} ({percent(named[sub])}), {SITE_WORDS[site]}"
    return f"most likely {site} ({percent(probabilities[site])})"


def other_settings_line(target_prior: str, by_prior: dict) -> str:
    """How the answer changes with the setting, in one line: each other named clinical setting's most
    likely site ("under the liver-met-archive setting: pancreatic 76%; ..."); "" when there is none.

    >>> other_settings_line("unknown-primary", {"unknown-primary": {"ileal": 0.6, "pancreatic": 0.3, "other": 0.1},
    ...     "liver-met-archive": {"ileal": 0.2, "pancreatic": 0.76, "other": 0.04}})
    'under the liver-met-archive setting: pancreatic 76%'
    """
    said = []
    for name, probs in by_prior.items():
        if name in (target_prior, "training"):  # the training mix is no clinical setting
            continue
        top = max(probs, key=probs.get)
        said.append(f"under the {name} setting: {top} {percent(probs[top])}")
    return "; ".join(said)
