"""The one rule from a label to its site, and the site sums of per-label (or per-cell)
probabilities: every layer from the literature up reads a label's site here."""

from __future__ import annotations

import numpy as np

from ._fields import DETAIL_TO_SITE, SITES

# the site index (0 ileal, 1 pancreatic, 2 other) of every label: a site, or a sub-site (a
# ``primary_site_detail`` value; "other" is both, and means the same site either way)
LABEL_SITE = {**{d: SITES.index(s) for d, s in DETAIL_TO_SITE.items()}, **{s: k for k, s in enumerate(SITES)}}


def site_of(labels) -> np.ndarray:
    """The site index (0, 1, 2) of each label (a site or a sub-site).

    >>> site_of(["ileum", "pancreatic", "lung", "other"]).tolist()
    [0, 1, 2, 2]
    """
    return np.array([LABEL_SITE[x] for x in labels], dtype=int)


def site_sums(proba, label_site) -> np.ndarray:
    """(..., 3) site probabilities from (..., labels) probabilities (``label_site``: each label's
    site, :func:`site_of`; or each cell's)."""
    proba = np.asarray(proba, dtype=float)
    out = np.zeros((*proba.shape[:-1], len(SITES)))
    for j, k in enumerate(label_site):  # label by label: a case's sum has the same bits alone or in a batch
        out[..., k] += proba[..., j]
    return out
