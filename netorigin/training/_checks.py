"""What training checks about itself before the model is trusted, the same for every engine.

- **Better than guessing the mix?** On held-out cases (the test split; without one, the
  cross-fitted cases), the model's log-loss against the log-loss of guessing every case the
  training mix of sites. A model whose advantage is not clearly above zero (its paired mean
  difference less than :data:`Z` standard errors below zero) is no better than guessing: shuffled
  labels, a label column that is not the site, findings that do not bear on it.
- **Does the cohort contradict itself?** On the training cases (a sample of at most
  :data:`CHECK_MAX`): the share whose recorded findings the literature's cell model all but
  excludes for their labelled site (its posterior, under the cohort's own mix of sites, below
  :data:`DECISIVE`), and the share recording a pair of results that no primary shows together
  (``data/contradictions.csv``). Honest cohorts stay far below the limits (measured on synthetic
  cohorts of every scenario, work-up and drawn world, and on the registry-like test cohort: at
  most 0.6% and 2.4%); shuffled or swapped labels are at 30-50%.
- **Do findings travel together beyond the model's cells?** Bivariate residuals of every pair of
  two-valued findings within each site under the cells the model's advice uses (the latent-class
  kind's own; any other kind's, the literature's cells fitted to the cohort), with
  parametric-bootstrap p-values (:func:`netorigin.literature.structure_check`): a cohort whose
  findings are lost or gained together (hidden subtypes, a shared differentiation factor) is said
  by pair and with a global verdict, as a warning that probabilities are likely overconfident.
"""

from __future__ import annotations

import numpy as np

from .._math import log_loss_terms
from ..contract import SITES, Notice, field_label, site_sums

Z = 1.96  # the model must beat guessing the mix by this many standard errors of the paired difference
DECISIVE = 0.01  # the literature's posterior of the labelled site below this: findings all but exclude it
DECISIVE_SHARE = 0.05  # warn above this share of such cases (honest cohorts: at most 0.6%)
PAIRS_SHARE = 0.10  # warn above this share of cases with a contradictory pair (honest cohorts: at most 2.4%)
CHECK_MAX = 20_000  # the training cases checked against the literature (a fixed sample beyond)
WARNING = "training_warning"  # the kind of the notices these checks give


def base_rate_check(y, proba, mix, where: str) -> tuple[dict, list[Notice]]:
    """(figures, notices): held-out log-loss of ``proba`` (n, 3) against guessing ``mix`` for
    every case, on the cases ``where`` names.

    >>> y = np.array([0, 1, 2] * 40)
    >>> shuffled = np.tile([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]], (40, 1))[np.r_[1:120, 0]]
    >>> figures, notices = base_rate_check(y, shuffled, np.ones(3) / 3, "held-out test cases")
    >>> round(figures["log_loss"], 2), round(figures["base_rate_log_loss"], 2), notices[0].kind
    (2.3, 1.1, 'training_warning')
    """
    y, proba, mix = np.asarray(y, dtype=int), np.asarray(proba, dtype=float), np.asarray(mix, dtype=float)
    model, guess = log_loss_terms(proba, y), log_loss_terms(mix, y)
    d = model - guess
    se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("inf")
    figures = {
        "n": int(len(y)),
        "log_loss": float(model.mean()),
        "base_rate_log_loss": float(guess.mean()),
        "difference": float(d.mean()),
        "difference_se": se,
    }
    if d.mean() < -Z * se:
        return figures, []
    how = "worse than" if d.mean() > Z * se else "no better than"
    words = ", ".join(f"{s} {x:.0%}" for s, x in zip(SITES, mix))
    return figures, [
        Notice(
            WARNING,
            f"the model is {how} guessing the training mix of sites ({words}) for every case: held-out "
            f"log-loss {model.mean():.3f} against {guess.mean():.3f} for the guess, on {len(y):,} {where}; "
            "its probabilities say nothing reliable about a case. Check the labels (shuffled, or not "
            "the primary site?) and whether the recorded findings bear on the site at all",
        )
    ]


def cohort_checks(table, y, mix, *, random_state=0) -> tuple[dict, list[Notice]]:
    """(figures, notices): how much of a labelled cohort contradicts itself (see the module)."""
    from ..literature import contradiction_records, contradictions_in

    y = np.asarray(y, dtype=int)
    if len(y) > CHECK_MAX:
        keep = np.sort(np.random.default_rng(random_state).choice(len(y), CHECK_MAX, replace=False))
        table, y = table.iloc[keep].reset_index(drop=True), y[keep]
    n = len(y)
    post = _literature_posterior(table, mix)
    own = post[np.arange(n), y]
    decisive = own < DECISIVE
    pairs = [bool(x) for x in contradictions_in(table, _as_rows(contradiction_records()))]
    figures = {
        "n_checked": int(n),
        "share_labelled_against_findings": float(decisive.mean()) if n else 0.0,
        "share_contradictory_findings": float(np.mean(pairs)) if n else 0.0,
    }
    notices = []
    if n and decisive.mean() > DECISIVE_SHARE:
        notices.append(_against_findings(y, post, decisive))
    if n and np.mean(pairs) > PAIRS_SHARE:
        notices.append(_contradictory_pairs(table, pairs))
    return figures, notices


STRUCTURE_RESAMPLES = 100  # parametric-bootstrap cohorts of the structure check in training and evaluation


def structure_fit(model, table, labels=None, *, random_state=0) -> tuple[dict, list[Notice]]:
    """(figures, notices): the structure check of a labelled cohort against the cells of
    ``model``'s advice, a warning when broken. ``labels``: the model's labels (sub-sites or sites);
    None: the cohort's sub-sites when the model learns them and every case has one, else its sites."""
    from ..literature import structure_check

    cells = model.cells_.fitted
    if cells is None or not hasattr(cells, "model"):
        return {"checked": False, "why": "the model has no fitted cells"}, []
    level = model.level_
    if labels is None:
        detail = table["primary_site_detail"] if "primary_site_detail" in table.columns else None
        if level != "subsite" or detail is None or detail.isna().any():
            level, labels = "site", table["primary_site"].astype(object).to_numpy()
        else:
            labels = detail.astype(object).to_numpy()
    check = structure_check(cells, table, labels, level, n_boot=STRUCTURE_RESAMPLES, random_state=random_state)
    figures = {
        "checked": True,
        "p_max": float(check.p_max),
        "broken": bool(check.broken),
        "pairs_checked": len(check.pairs),
        "pairs_broken": len(check.words(shown=10**6)),
        "verdict": check.verdict(),
        "pairs": check.words(),
    }
    if not check.broken:
        return figures, []
    said = "; ".join(check.words())
    return figures, [Notice(WARNING, f"{check.verdict()}. Worst pairs: {said}")]


def _literature_posterior(table, mix) -> np.ndarray:
    """p(site | findings) under the literature's cell model, with the cohort's own mix of sites
    (the training-mix scenario's cells, reweighted per site)."""
    from ..literature import cell_posterior, default_literature

    lit = default_literature()
    w = np.asarray(lit.weights("training-mix"), dtype=float)
    site = np.asarray(lit.model.cell_site)
    prior = site_sums(w, site)
    w = w * (np.asarray(mix, dtype=float) / np.maximum(prior, 1e-300))[site]
    cells = cell_posterior(lit.model, table, w)
    return site_sums(cells, site)


def _against_findings(y, post, decisive) -> Notice:
    n, k = len(y), int(decisive.sum())
    top = post.argmax(axis=1)
    pairs, counts = np.unique(np.c_[y[decisive], top[decisive]], axis=0, return_counts=True)
    (lab, pointed), many = pairs[np.argmax(counts)], int(counts.max())
    return Notice(
        WARNING,
        f"the cohort contradicts itself: {k:,} of {n:,} training cases ({k / n:.0%}) are labelled a site "
        f"their findings all but exclude (the literature gives it under {DECISIVE:.0%}; an honest cohort has "
        f"under 1% such cases), most often {many:,} labelled {SITES[lab]} whose findings point to "
        f"{SITES[pointed]}. Check the labels (swapped codes or columns?) before trusting this model",
    )


def _contradictory_pairs(table, pairs) -> Notice:
    from ..literature import contradiction_records, contradictions_in

    n, k = len(pairs), int(np.sum(pairs))
    records = contradiction_records()
    counts = [sum(bool(x) for x in contradictions_in(table, [r])) for r in _as_rows(records)]
    r = records[int(np.argmax(counts))]
    return Notice(
        WARNING,
        f"the cohort contradicts itself: {k:,} of {n:,} training cases ({k / n:.0%}) record results that no "
        f"primary shows together, most often {field_label(r['field_a'])} {r['value_a']} with "
        f"{field_label(r['field_b'])} {r['value_b']} ({max(counts):,} cases; honest cohorts: under 3% of "
        "cases with any such pair). Check the stains and the column mapping before trusting this model",
    )


def _as_rows(records):
    from types import SimpleNamespace

    return [SimpleNamespace(**r) for r in records]


ECE_RESAMPLES = 200  # paired bootstrap resamples of the test cases: is the calibrated ECE clearly worse?


def calibration_check(y, uncalibrated, calibrated) -> tuple[dict, str | None]:
    """(figures, verdict) of the shipped calibration on held-out cases the final classifier never
    saw: log-loss and ECE of the sites, uncalibrated and calibrated. ``verdict``: ``"log_loss"``
    when calibration makes the log-loss worse beyond noise (its paired mean difference more than
    :data:`Z` standard errors above zero: keep the model uncalibrated), ``"ece"`` when only the ECE
    is clearly worse (larger in at least 97.5% of paired bootstrap resamples: say so), else None."""
    from ._metrics import expected_calibration_error as ece

    y = np.asarray(y, dtype=int)
    raw, cal = (log_loss_terms(p, y) for p in (uncalibrated, calibrated))
    d = cal - raw
    se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("inf")
    figures = {
        "n": int(len(y)),
        "log_loss_uncalibrated": float(raw.mean()),
        "log_loss_calibrated": float(cal.mean()),
        "difference_se": se,
        "ece_uncalibrated": ece(y, uncalibrated),
        "ece_calibrated": ece(y, calibrated),
    }
    if d.mean() > Z * se:
        return figures, "log_loss"
    if not np.any(d):  # the same probabilities (no calibration): nothing to compare
        return figures, None
    rng = np.random.default_rng(0)
    picks = (rng.integers(0, len(y), len(y)) for _ in range(ECE_RESAMPLES))
    worse = sum(ece(y[i], calibrated[i]) > ece(y[i], uncalibrated[i]) for i in picks)
    figures["ece_worse_in_resamples"] = float(worse / ECE_RESAMPLES)
    return figures, ("ece" if worse >= 0.975 * ECE_RESAMPLES and len(y) > 1 else None)


def calibration_words(figures: dict) -> str:
    """The shipped calibration on the test cases, in words."""
    return (
        f"on {figures['n']:,} held-out test cases: log-loss {figures['log_loss_uncalibrated']:.3f} uncalibrated, "
        f"{figures['log_loss_calibrated']:.3f} as shipped; ECE {figures['ece_uncalibrated']:.3f}, "
        f"{figures['ece_calibrated']:.3f}"
    )


def calibration_summary(cal: dict | None) -> str:
    """A model's calibration record (``SiteModel.calibration_``, a bundle's ``calibration``) in
    words: which shipped, how its held-out cases were made, why, and how it did on the test cases."""
    if not cal:
        return "not recorded with this model"
    test = f"; {calibration_words(cal['test'])}" if cal.get("test") else ""
    return f"{cal['shipped']} ({cal['design']}): {cal['reason']}{test}"


def check_calibration(model, y, fwd) -> list[Notice]:
    """Check the shipped calibration on held-out test cases (``fwd``: the model's pass over them
    under the training mix) and record the figures in ``model.calibration_["test"]``: a
    calibration that makes their log-loss worse beyond noise is replaced by none
    (:func:`~netorigin.estimator.keep_uncalibrated`, said in a notice); one that makes only their
    ECE clearly worse is kept, with a warning."""
    from ..estimator import keep_uncalibrated

    if model.calibrator_.mode_ == "none":
        raw = fwd.proba
        model.calibration_["test"] = calibration_check(y, raw, raw)[0]
        return []
    figures, verdict = calibration_check(y, fwd.proba_under("training", calibrated=False), fwd.proba)
    words, shipped = calibration_words(figures), model.calibration_["shipped"]
    if verdict == "log_loss":
        why = (
            f"{shipped}, chosen on the cross-fitted held-out cases, made the log-loss of the final "
            f"classifier worse beyond noise {words}: kept uncalibrated"
        )
        keep_uncalibrated(model, why)
        model.calibration_["test"] = figures
        return [Notice("model", f"calibration: {why}")]
    model.calibration_["test"] = figures
    if verdict == "ece":
        return [
            Notice(
                WARNING,
                f"calibration ({shipped}) made the held-out ECE clearly worse {words}; kept for its better "
                "log-loss, the probabilities may be less sharp (or sharper) than they should be",
            )
        ]
    return []
