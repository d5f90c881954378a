"""What a model learns from a cohort and how its cases are split: the one label rule of every engine
(sub-sites, rare ones merged or kept, or the three sites), the folds, and fold margins over the labels."""

from __future__ import annotations

import numpy as np

from ..contract import SITES, Notice
from ..exceptions import InputError
from ..models import get_kind, site_of

MIN_PER_LABEL = 20  # a sub-site with fewer training cases is not learnt on its own (see choose_labels)


MIN_PER_SITE = 10  # training needs at least this many cases of every site (folds and a test split)

UNSPECIFIED = "other"  # the primary_site_detail of an other primary whose organ is not named
SAME_ORGAN = (("ileum", "jejunum"),)  # sub-sites that are one organ: the jejunoileal small intestine


def _home(lab: str, learnt: list[str]) -> str | None:
    """Where a rare sub-site is counted: a learnt sub-site of the same organ, else the unspecified
    label of its site (the other site's ``other``), else nowhere (None). Never another organ."""
    organ = next((g for g in SAME_ORGAN if lab in g), (lab,))
    same = [x for x in learnt if x in organ and x != lab]
    if same:
        return same[0]
    if site_of([lab])[0] == SITES.index("other") and lab != UNSPECIFIED:
        return UNSPECIFIED
    return None


def _counted_as(lab: str, count: int, into: str) -> Notice:
    how = (
        "as other, organ unspecified (sub-site 'other'), never as another organ"
        if into == UNSPECIFIED
        else f"with {into} (the same organ)"
    )
    return Notice(
        "model", f"sub-site {lab} has {count} training case(s), fewer than {MIN_PER_LABEL}: the model counts it {how}"
    )


def choose_labels(kind: str, level: str, detail_counts: dict, n_missing: int, n: int) -> tuple[str, dict, list]:
    """What a model learns from a cohort: ``(level, merge, notices)``, the one rule of every engine.

    ``detail_counts``: training cases per ``primary_site_detail``; ``n_missing``: cases without one.
    The sub-sites are learnt (``level`` auto or subsite, a kind that can) when every case has one.
    A kind that learns each label from its own cases (``merges_rare``) does not learn a sub-site
    with fewer than MIN_PER_LABEL cases on its own; it is counted (``merge``: label -> label)
    with a learnt sub-site of the same organ (jejunum with ileum: the small intestine), else, for
    an other primary, as ``other`` (an other primary, organ unspecified: a label of its own,
    whatever its count), never with another organ. A sub-site with no such home (pancreas, or
    both small-intestinal sub-sites, too rare) makes ``auto`` learn the three sites (``subsite``
    refuses). A kind with a prior for every sub-site (latent-class) keeps them all.

    >>> counts = {"ileum": 50, "jejunum": 3, "pancreas": 40, "lung": 30, "colon": 4}
    >>> choose_labels("xgboost", "auto", counts, 0, 127)[:2]
    ('subsite', {'colon': 'other', 'jejunum': 'ileum'})
    """
    k = get_kind(kind)
    if level not in ("auto", "site", "subsite"):
        raise InputError(f"level: {level!r} is not one of auto, site, subsite")
    if level == "site" or (level == "auto" and not (k.subsites and n_missing == 0 and detail_counts)):
        notices = []
        if level == "auto" and k.subsites:
            notices.append(
                Notice(
                    "model",
                    f"modelled at the site level: {n_missing:,} of {n:,} training cases have "
                    "no primary_site_detail, so sub-sites are not learnt",
                )
            )
        return "site", {}, notices
    if not k.subsites:
        raise InputError(f"level: the {kind} kind models the three sites only, not sub-sites")
    if n_missing:
        raise InputError("level: subsite needs a primary_site_detail for every training case")
    ranked = sorted(detail_counts.items(), key=lambda kv: (-kv[1], kv[0]))  # commonest first, then by name
    learnt = [x for x, c in ranked if c >= MIN_PER_LABEL or not k.merges_rare]
    merge, notices = {}, []
    for lab, count in ranked:
        if lab in learnt or count <= 0 or lab == UNSPECIFIED:
            continue
        into = _home(lab, learnt)
        if into is None:
            site = SITES[site_of([lab])[0]]
            if level == "auto":  # too few to learn that site's sub-sites: learn the sites
                return "site", {}, [_site_level(site)]
            raise InputError(
                f"primary_site_detail: too few cases of every sub-site of {site} "
                f"(at least {MIN_PER_LABEL} of one are needed)"
            )
        merge[lab] = into
        notices.append(_counted_as(lab, count, into))
    return "subsite", merge, notices


def training_labels(kind: str, level: str, y_sites: np.ndarray, detail) -> tuple[str, np.ndarray, list]:
    """(level, label per case, notices) for cases of sites ``y_sites`` and sub-sites ``detail``
    (None where missing, or None), by :func:`choose_labels`."""
    sites = np.array(SITES, dtype=object)[y_sites]
    known = [] if detail is None else [x for x in detail if x is not None]
    counts = {str(k): known.count(k) for k in dict.fromkeys(known)}
    level, merge, notices = choose_labels(kind, level, counts, len(y_sites) - len(known), len(y_sites))
    if level == "site":
        return "site", sites, notices
    return "subsite", np.array([merge.get(x, x) for x in detail], dtype=object), notices


def _site_level(site: str) -> Notice:
    return Notice(
        "model",
        f"modelled at the site level: no sub-site of {site} has {MIN_PER_LABEL} training cases "
        "(and none may be counted with another organ), so sub-sites are not learnt",
    )


class CaseSplitter:
    """Stratified folds by group (patient); plain stratified folds when every case is its own
    group (StratifiedGroupKFold is slow with a million groups and gives the same kind of split).

    >>> import numpy as np
    >>> y = np.array([0, 1, 2] * 10)
    >>> tr, te = next(CaseSplitter(5, 0).split(np.zeros((30, 1)), y, np.arange(30)))
    >>> len(te)
    6
    """

    def __init__(self, n_splits: int, random_state=None):
        self.n_splits, self.random_state = n_splits, random_state

    def split(self, X, y, groups):
        from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

        n_groups = len(np.unique(groups))
        if n_groups < self.n_splits:
            raise InputError(
                f"patient_id: {n_groups} distinct patients cannot be split into {self.n_splits} "
                "folds; give more patients or fewer folds"
            )
        if n_groups == len(groups):
            return StratifiedKFold(self.n_splits, shuffle=True, random_state=self.random_state).split(X, y)
        return StratifiedGroupKFold(self.n_splits, shuffle=True, random_state=self.random_state).split(X, y, groups)


def _strata(y_label: np.ndarray, y_site: np.ndarray, folds: int) -> np.ndarray:
    """What the folds are stratified by: the labels, or the sites when a label has fewer cases
    than folds (a rare sub-site a kind keeps)."""
    return y_label if np.bincount(y_label).min(initial=folds) >= folds else y_site


def _align(margins: np.ndarray, classes, vocab) -> np.ndarray:
    """Margins of a fold model over ``vocab`` (a class the fold never saw gets a margin of -30)."""
    out = np.full((len(margins), len(vocab)), -30.0)
    for j, c in enumerate(classes):
        out[:, list(vocab).index(c)] = margins[:, j]
    return out
