"""Reasons that add up: every term of a case's explanation on the scale of the probabilities shown.

The scale is the centred log-ratio (clr) of the three site probabilities: for site k,
``log p_k - mean_j log p_j`` (the log of a site's probability over the geometric mean of the
three). The displayed clr is split exactly into

- ``baseline``: the model's average case (its margin's base value, temperature-scaled);
- ``calibration``: the calibration's per-label biases;
- ``prior``: the deployment prior (zero under the training mix);
- one term per field: the field's margin contribution, scaled by the temperature, carried
  through the sum over sub-sites by integrating the gradient along the straight path from the
  prior-adjusted baseline to the case (Aumann-Shapley / integrated gradients, which add up to
  the difference exactly; the integral is computed by Gauss-Legendre quadrature, refined until
  the terms add up within 1e-9).

For a model over the three sites the clr is linear in the margins and each field's term is just
its scaled, centred contribution.

A deployment prior that rules sites out (a share of 0) leaves them no probability, and the log of
0 has no place on this scale: the clr is then taken over the sites the prior allows (the
geometric mean of theirs), and every term of a site it rules out is 0 (:data:`SCALE_ALLOWED`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .._math import LOG_FLOOR, floored_log, softmax
from ..contract import SITES, site_sums
from ._prior import allowed_sites

SCALE = (
    "clr: log of each site's probability over the geometric mean of the three sites' "
    "probabilities; baseline + calibration + prior + the fields' terms = the displayed value exactly"
)
SCALE_ALLOWED = (
    SCALE.replace("the three sites' probabilities", "the probabilities of the sites the setting allows")
    + "; every term is 0 for a site the setting rules out (probability 0)"
)


@dataclass
class Explanation:
    """A case's explanation on the clr scale: ``baseline + calibration + prior + terms.sum(1) == total``.

    The last axis of every array is the site, in the order of ``sites`` (the contract's: ileal,
    pancreatic, other; not a model's ``classes_``, which scikit-learn's tools sort)."""

    fields: list
    terms: np.ndarray  # (n, n_fields, 3)
    baseline: np.ndarray  # (n, 3)
    calibration: np.ndarray  # (n, 3)
    prior: np.ndarray  # (n, 3)
    total: np.ndarray  # (n, 3): clr of the displayed probabilities
    scale: str = SCALE
    sites: tuple = SITES


def _site_log(u: np.ndarray, label_site: np.ndarray):
    """(log P (n, 3), p (n, L), P (n, 3)) for label logits u (n, L)."""
    p = softmax(u)
    P = site_sums(p, label_site)
    return floored_log(P), p, np.maximum(P, LOG_FLOOR)


def clr(u: np.ndarray, label_site: np.ndarray, allowed=None) -> np.ndarray:
    """The clr of the site probabilities given label logits ``u`` (over the ``allowed`` sites
    only, 0 for the others, when a boolean (3,) ``allowed`` rules some out)."""
    logP, _, _ = _site_log(u, label_site)
    if allowed is None or allowed.all():
        return logP - logP.mean(axis=-1, keepdims=True)
    return np.where(allowed, logP - logP[..., allowed].mean(axis=-1, keepdims=True), 0.0)


@lru_cache(maxsize=16)
def _quadrature(panels: int, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Points in [0, 1] and weights: Gauss-Legendre with ``nodes`` points on each of ``panels`` panels."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    edges = np.linspace(0.0, 1.0, panels + 1)
    width = np.diff(edges)[:, None]
    alpha = (edges[:-1, None] + width * (x[None, :] + 1) / 2).ravel()
    weight = (w[None, :] * width / 2).ravel()
    alpha.setflags(write=False)
    weight.setflags(write=False)
    return alpha, weight


def _mean_jacobian(u0, delta, label_site, panels: int, nodes: int = 16, allowed=None) -> np.ndarray:
    """(n, 3, L): the clr's Jacobian with respect to the logits, averaged along u0 + a * delta, a in [0, 1]
    (Gauss-Legendre, ``nodes`` points on each of ``panels`` equal panels; all points at once;
    over the ``allowed`` sites, see :func:`clr`)."""
    alpha, weight = _quadrature(panels, nodes)
    member = (label_site[None, :] == np.arange(len(SITES))[:, None]).astype(float)  # (3, L)
    some = allowed is not None and not allowed.all()
    n, L = u0.shape
    J = np.zeros((n, len(SITES), L))
    # blocks of rows and of points of fixed size: bounded memory, and a case's numbers do not
    # depend on how many others are explained with it
    for r in range(0, n, _ROWS):
        u, d = u0[r : r + _ROWS], delta[r : r + _ROWS]
        for lo in range(0, len(alpha), _POINTS):
            a, wa = alpha[lo : lo + _POINTS], weight[lo : lo + _POINTS]
            _, p, P = _site_log(u[None] + a[:, None, None] * d[None], label_site)  # (A, n, L), (A, n, 3)
            inv_own = (1.0 / P)[:, :, label_site]  # (A, n, L): 1 / P of each label's site
            # d clr_k / d u_s = p_s * (1[s in k] / P_k - (1/3) / P_site(s))
            if some:  # the mean over the allowed sites; nothing for a site ruled out
                inv_own = inv_own * allowed[label_site] / allowed.sum() * len(SITES)
            jk = p[:, :, None, :] * (member[None, None] / P[:, :, :, None] - inv_own[:, :, None, :] / len(SITES))
            if some:
                jk[:, :, ~allowed, :] = 0.0
            J[r : r + _ROWS] += np.einsum("a,ankl->nkl", wa, jk)
    return J


_ROWS, _POINTS = 256, 64  # the quadrature's blocks (about 1.5 MB each for ten labels)


def explain_clr(base, contrib, temperature, bias, rho, label_site, *, tol: float = 1e-9) -> tuple:
    """(baseline, calibration, prior, terms, total) on the clr scale from a margin explanation.

    ``base`` (n, L) and ``contrib`` (n, F, L) add up to the classifier's margins; the calibrated,
    prior-shifted logits are ``margin / temperature + bias + rho`` (``rho`` -inf on a label the
    prior rules out: the clr is then over the sites it allows, see :func:`clr`).
    """
    base, contrib = np.asarray(base, float), np.asarray(contrib, float)
    label_site = np.asarray(label_site, dtype=int)
    allowed = allowed_sites(np.isfinite(rho), label_site)
    u0 = base / temperature
    f0, f1 = clr(u0, label_site, allowed), clr(u0 + bias, label_site, allowed)
    u2 = u0 + bias + rho
    f2 = clr(u2, label_site, allowed)
    scaled = contrib / temperature
    delta = scaled.sum(axis=1)
    total = clr(u2 + delta, label_site, allowed)
    terms = np.einsum("nkl,nfl->nfk", _mean_jacobian(u2, delta, label_site, panels=2, allowed=allowed), scaled)
    if not np.all(label_site == np.arange(len(label_site))):  # non-linear: check, refine where needed
        for panels in (16, 128, 1024):
            bad = np.abs(f2 + terms.sum(axis=1) - total).max(axis=1) > tol
            if not bad.any():
                break
            J = _mean_jacobian(u2[bad], delta[bad], label_site, panels=panels, allowed=allowed)
            terms[bad] = np.einsum("nkl,nfl->nfk", J, scaled[bad])
    return f0, f1 - f0, f2 - f1, terms, total


def make_explanation(fields, base, contrib, temperature, bias, rho, label_site) -> Explanation:
    """The :class:`Explanation` of :func:`explain_clr` (its scale said: over the sites the prior
    allows when it rules some out)."""
    baseline, calibration, prior, terms, total = explain_clr(base, contrib, temperature, bias, rho, label_site)
    every = allowed_sites(np.isfinite(rho), label_site).all()
    return Explanation(list(fields), terms, baseline, calibration, prior, total, SCALE if every else SCALE_ALLOWED)
