"""Figures site by site, what a cohort of one site can and cannot say (an external series of one
primary site, e.g. a pancreatic NET series, is a legitimate evaluation), and how many bootstrap
resamples an evaluation may ask for."""

from __future__ import annotations

import numpy as np

from ..contract import SITES
from ..exceptions import InputError

MAX_BOOTSTRAP = 10_000  # resamples: a 95% percentile interval is settled long before


def check_bootstrap(n_bootstrap) -> int:
    """The number of bootstrap resamples: a whole number from 0 to :data:`MAX_BOOTSTRAP`."""
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, (int, np.integer)):
        raise InputError(f"n_bootstrap: {n_bootstrap!r} is not a whole number from 0 to {MAX_BOOTSTRAP:,}")
    if not 0 <= n_bootstrap <= MAX_BOOTSTRAP:
        raise InputError(f"n_bootstrap: {n_bootstrap:,} is not a whole number from 0 to {MAX_BOOTSTRAP:,}")
    return int(n_bootstrap)


# The figures that compare sites with each other: with cases of one site they are not computed
# (the AUC) or say nothing more than that site's recall (balanced accuracy, precision).
NEED_TWO_SITES = {
    "macro_auc": "needs labelled cases of at least two sites (it ranks cases of one site against another's)",
    "balanced_accuracy": "with cases of one site it is that site's recall",
    "precision": "with cases of one site every case called that site is right: precision says nothing",
}


def calibration_in_the_large(y, proba) -> dict:
    """Per site, the mean predicted probability beside the share of cases that are that site (and
    their count): on average, does the model give each site as much probability as it has cases?

    >>> calibration_in_the_large([1, 1], [[0.1, 0.8, 0.1], [0.3, 0.6, 0.1]])["pancreatic"]
    {'mean_predicted': 0.7, 'observed': 1.0, 'n': 2}
    """
    y, proba = np.asarray(y, dtype=int), np.asarray(proba, dtype=float)
    return {
        s: {
            "mean_predicted": round(float(proba[:, k].mean()), 12),
            "observed": float((y == k).mean()),
            "n": int((y == k).sum()),
        }
        for k, s in enumerate(SITES)
    }


def what_one_site_allows(y) -> dict:
    """``sites_present`` always; with cases of fewer than two sites, ``needs_more_sites``: each
    figure that compares sites and why it is not shown (the others are: that site's recall,
    log-loss, Brier score, ECE, the coverage of its sets, calibration-in-the-large)."""
    present = [s for k, s in enumerate(SITES) if (np.asarray(y) == k).any()]
    out = {"sites_present": present}
    if len(present) < 2:
        out["needs_more_sites"] = dict(NEED_TWO_SITES)
    return out
