"""Temperature scaling: a classifier's margins made into calibrated probabilities, fitted by
log-loss on held-out (out-of-fold) margins, never on the rows a model was trained on."""

from __future__ import annotations

import numpy as np

from .._math import binned_ece, log_loss_terms, log_softmax
from .._runtime import BaseEstimator, check_is_fitted
from ..exceptions import check_stored

PRIOR_SD = 0.5  # each log-temperature and bias ~ N(0, PRIOR_SD^2): thin labels are not over-fitted
# what a calibration may do (fits are held to it, stored values checked against it): beyond these it
# would no longer adjust the classifier's margins but replace them (T = 100 flattens a margin of 100
# to 1; a bias of 20 multiplies a label's odds by e^20, about 5e8)
TEMPERATURE_RANGE = (0.01, 100.0)
MAX_BIAS = 20.0


class TemperatureScaling(BaseEstimator):
    """softmax(margin / T + b), fitted by penalised log-loss on held-out margins (each log T and
    bias with a normal prior of sd :data:`PRIOR_SD`, so a label with few held-out cases keeps a
    temperature near 1 and a bias near 0; with many cases the prior does not matter).

    Parameters
    ----------
    per_label : bool, "auto" or "none"
        One temperature per label (vector scaling; better calibrated when the labels are many
        sub-sites) or one shared temperature; ``"auto"`` chooses by cross-validation; ``"none"``
        keeps the margins as they are (T = 1, b = 0: for a model whose probabilities are already
        a posterior, see :attr:`~netorigin.models.ModelKind.calibrates`).

    Attributes
    ----------
    temperature_ : ndarray of shape (n_classes,)
    bias_ : ndarray of shape (n_classes,)

    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 3, 2000)
    >>> margins = 3.0 * np.eye(3)[y] + rng.normal(size=(2000, 3)) * 2   # over-confident
    >>> cal = TemperatureScaling().fit(margins, y)
    >>> bool(cal.temperature_[0] > 1)
    True
    """

    def __init__(self, per_label=False):
        self.per_label = per_label

    def fit(self, margins, y, *, label_site=None):
        """Fit on held-out margins and label indices ``y``. ``per_label="auto"`` chooses, by 5-fold
        cross-validated log-loss on these margins, between none (T = 1, b = 0), one shared T with
        biases, and one T per label with biases (ties: the simpler), and keeps none when a mode
        makes the held-out figures of the sites (``label_site``: each label's site) worse
        (:func:`_choose_mode`; ``choice_``: each mode's held-out figures and the reason). Beyond
        :data:`SAMPLE_ABOVE` margins, the choice is made on :data:`CHOOSE_MAX` of them and the fit
        on :data:`FIT_MAX` (``n_fitted_``: the margins fitted)."""
        margins, y = np.asarray(margins, dtype=float), np.asarray(y, dtype=int)
        self.choice_ = None
        if self.per_label == "auto":
            self.mode_, self.choice_ = _choose_mode(margins, y, label_site)
        elif self.per_label == "none":
            self.mode_ = "none"
        else:
            self.mode_ = "per-label" if self.per_label else "shared"
        if len(y) > SAMPLE_ABOVE:  # at most 2 x labels parameters, settled long before: on a sample
            keep = np.sort(np.random.default_rng(1).choice(len(y), FIT_MAX, replace=False))
            margins, y = margins[keep], y[keep]
        self.n_fitted_ = len(y)
        self.temperature_, self.bias_ = _fit_mode(margins, y, self.mode_)
        return self

    def record(self, design: str, why_none: str | None = None) -> dict:
        """Which calibration this is and why (``design``: how the held-out margins were made;
        ``why_none``: why no calibration was tried): ``{"shipped", "design", "reason",
        "held_out"}``, the record a bundle, a model card and a training run carry."""
        check_is_fitted(self, "temperature_")
        words = {"none": "none (uncalibrated)", "shared": "one temperature", "per-label": "a temperature per label"}
        held = (self.choice_ or {}).get("modes")
        if why_none or not held:
            reason = why_none or f"{self.mode_} was asked for"
        else:
            c, h = self.choice_, held[self.mode_]
            reason = (
                f"chosen of none, one temperature and a temperature per label: the best label log-loss on "
                f"{c['n']:,} held-out cases ({c['folds']}-fold cross-validated; the simpler within one standard "
                f"error) not making the sites' held-out figures worse (site log-loss "
                f"{held['none']['site_log_loss']:.4f} uncalibrated, {h['site_log_loss']:.4f} shipped; site ECE "
                f"{held['none']['site_ece']:.4f}, {h['site_ece']:.4f})"
            ) + (f"; {c['guard']}" if c.get("guard") else "")
        return {"shipped": words[self.mode_], "design": design, "reason": reason, "held_out": held or {}}

    @classmethod
    def fitted(cls, temperature: float, bias) -> TemperatureScaling:
        """A fitted instance from stored values (a bundle being read); both are checked: one
        temperature (or one per label) from :data:`TEMPERATURE_RANGE`, one bias per label of at
        most :data:`MAX_BIAS` either way."""
        b = check_stored(bias, "bias", shape=(None,), low=-MAX_BIAS, high=MAX_BIAS)
        t = np.asarray(temperature, dtype=object)
        t = check_stored(
            temperature,
            "temperature",
            shape=(len(b),) if t.ndim else (),
            low=TEMPERATURE_RANGE[0],
            high=TEMPERATURE_RANGE[1],
        )
        self = cls(per_label=t.ndim == 1)
        self.temperature_, self.bias_ = np.broadcast_to(t, b.shape).astype(float), b
        return self

    def log_proba(self, margins) -> np.ndarray:
        check_is_fitted(self, "temperature_")
        return log_softmax(np.asarray(margins, dtype=float) / self.temperature_ + self.bias_)

    def predict_proba(self, margins) -> np.ndarray:
        return np.exp(self.log_proba(margins))


MODES = ("none", "shared", "per-label")
SAMPLE_ABOVE = 75_000  # beyond this many held-out cases, the mode is chosen and fitted on random samples of
CHOOSE_MAX = 10_000  # ... this many (the choice of mode, cross-validated)
FIT_MAX = 20_000  # ... and this many (the temperatures and biases: at most 2 per label)


def _fit_mode(margins: np.ndarray, y: np.ndarray, mode: str) -> tuple[np.ndarray, np.ndarray]:
    from scipy.optimize import minimize

    K = margins.shape[1]
    if mode == "none":
        return np.ones(K), np.zeros(K)
    n_t = K if mode == "per-label" else 1
    n = len(y)
    onehot = np.eye(K)[y]

    def nll(theta):
        """The penalised mean log-loss and its gradient (log temperatures, then biases 2..K)."""
        scaled = margins / np.exp(theta[:n_t])
        logp = log_softmax(scaled + np.r_[0.0, theta[n_t:]])
        resid = np.exp(logp) - onehot  # d loss / d logits, per case
        g_t = -(resid * scaled).sum(axis=0) / n  # d / d log T_k
        grad = np.r_[g_t if n_t == K else [g_t.sum()], resid[:, 1:].sum(axis=0) / n]
        penalty = 1.0 / (PRIOR_SD**2 * n)
        loss = -logp[np.arange(n), y].mean() + 0.5 * penalty * float(theta @ theta)
        return loss, grad + penalty * theta

    res = minimize(nll, np.zeros(n_t + K - 1), method="L-BFGS-B", jac=True)
    t = np.clip(np.exp(res.x[:n_t]), *TEMPERATURE_RANGE)  # a no-op for any fit a calibration can use
    return np.broadcast_to(t, (K,)).copy(), np.r_[0.0, np.clip(res.x[n_t:], -MAX_BIAS, MAX_BIAS)]


def _choose_mode(margins: np.ndarray, y: np.ndarray, label_site=None, folds: int = 5) -> tuple[str, dict]:
    """(mode, record): the calibration the held-out margins support.

    Each mode is fitted on 4 of 5 parts of the margins and scored on the fifth (cross-validated
    held-out figures). The mode: the simplest within one standard error of the best label
    log-loss (the loss the calibration is fitted by; ties: the simpler). Then a guard on the
    figures the model answers with, the sites (``label_site``, for sub-site models and site
    models alike): a mode that makes the held-out site log-loss worse than none, or the site ECE
    clearly worse (larger in at least 97.5% of paired bootstrap resamples), gives way to the next
    simpler one, down to none. The record holds each mode's held-out figures and the reason."""
    n_all = len(y)
    if len(y) > SAMPLE_ABOVE:  # the modes' differences are settled long before: choose on a sample
        keep = np.sort(np.random.default_rng(0).choice(len(y), CHOOSE_MAX, replace=False))
        margins, y = margins[keep], y[keep]
    sites = np.arange(margins.shape[1]) if label_site is None else np.asarray(label_site, dtype=int)
    fold = np.random.default_rng(0).permutation(len(y)) % folds
    loss = {m: np.zeros(len(y)) for m in MODES}
    site_p = {m: np.zeros((len(y), int(sites.max()) + 1)) for m in MODES}
    for k in range(folds):
        fit, test = fold != k, fold == k
        if not test.any() or not fit.any():
            continue
        for mode in MODES:
            t, b = _fit_mode(margins[fit], y[fit], mode)
            logp = log_softmax(margins[test] / t + b)
            loss[mode][test] = -logp[np.arange(int(test.sum())), y[test]]
            for j, s in enumerate(sites):  # label by label, as site_sums adds them
                site_p[mode][test, s] += np.exp(logp[:, j])
    best = min(MODES, key=lambda m: loss[m].mean())
    diff = {m: loss[m] - loss[best] for m in MODES}
    se = {m: float(diff[m].std(ddof=1) / np.sqrt(len(y))) if len(y) > 1 else 0.0 for m in MODES}
    chosen = next(m for m in MODES if diff[m].mean() <= se[m])
    ys = sites[y]
    site_loss = {m: log_loss_terms(site_p[m], ys) for m in MODES}
    guard = None
    while chosen != "none":
        worse = _worse_than_none(site_loss, site_p, ys, chosen)
        if worse is None:
            break
        simpler = MODES[MODES.index(chosen) - 1]
        guard = f"{chosen} {worse}: {simpler} instead" if guard is None else f"{guard}; {chosen} {worse}: {simpler}"
        chosen = simpler
    return chosen, {
        "n": int(len(y)),
        "n_held_out": int(n_all),
        "folds": int(folds),
        "modes": {
            m: {
                "log_loss": float(loss[m].mean()),
                "site_log_loss": float(site_loss[m].mean()),
                "site_ece": _ece(ys, site_p[m]),
            }
            for m in MODES
        },
        "guard": guard,
    }


def _ece(y, proba) -> float:
    return binned_ece(y, proba)


def _worse_than_none(site_loss: dict, site_p: dict, ys: np.ndarray, mode: str) -> str | None:
    """Why ``mode`` is worse than none on the held-out site figures (None: it is not)."""
    d = site_loss[mode] - site_loss["none"]
    if d.mean() > 0:
        return (
            f"made the held-out site log-loss worse ({site_loss['none'].mean():.4f} uncalibrated, "
            f"{site_loss[mode].mean():.4f} calibrated)"
        )
    rng = np.random.default_rng(0)
    worse = 0
    for _ in range(ECE_RESAMPLES):
        i = rng.integers(0, len(ys), len(ys))
        worse += _ece(ys[i], site_p[mode][i]) > _ece(ys[i], site_p["none"][i])
    if worse >= 0.975 * ECE_RESAMPLES:
        return (
            f"made the held-out site ECE clearly worse ({_ece(ys, site_p['none']):.4f} uncalibrated, "
            f"{_ece(ys, site_p[mode]):.4f} calibrated; worse in {worse} of {ECE_RESAMPLES} resamples)"
        )
    return None


ECE_RESAMPLES = 200  # paired bootstrap resamples of the held-out cases: is a calibration's ECE clearly worse?
