"""Evaluation plots as PNG bytes (matplotlib, and shap for the SHAP summary). Imported only when
a plot is asked for, so scoring never pays for matplotlib or shap."""

from __future__ import annotations

import io

import numpy as np

from .._extras import require
from ..contract import SITES, field_label


def _plt():
    matplotlib = require("matplotlib", "tracking")

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    _plt().close(fig)
    return buf.getvalue()


def confusion_png(cm, title="Confusion matrix (test set)") -> bytes:
    plt = _plt()
    cm = np.asarray(cm)
    fig, ax = plt.subplots(figsize=(4.2, 3.6))
    ax.imshow(cm, cmap="Blues")
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(
                j, i, f"{cm[i, j]:,}", ha="center", va="center", color="white" if cm[i, j] > cm.max() / 2 else "black"
            )
    ax.set_xticks(range(3), SITES)
    ax.set_yticks(range(3), SITES)
    ax.set_xlabel("predicted site")
    ax.set_ylabel("true site")
    ax.set_title(title)
    return _png(fig)


def reliability_png(y, proba_before, proba_after, n_bins: int = 10) -> bytes:
    """Top-label reliability diagram before and after calibration."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.2, 4.0))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--")
    for p, label in ((proba_before, "uncalibrated"), (proba_after, "calibrated")):
        conf, ok = p.max(axis=1), p.argmax(axis=1) == y
        bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
        xs = [conf[bins == b].mean() for b in range(n_bins) if (bins == b).sum() >= 20]
        ys = [ok[bins == b].mean() for b in range(n_bins) if (bins == b).sum() >= 20]
        ax.plot(xs, ys, marker="o", label=label)
    ax.set_xlabel("confidence (top site)")
    ax.set_ylabel("accuracy")
    ax.set_title("Reliability (test set)")
    ax.legend()
    return _png(fig)


def risk_coverage_png(curve) -> bytes:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.2, 3.6))
    ax.plot([c["coverage"] for c in curve], [c["accuracy"] for c in curve], marker="o")
    ax.set_xlabel("share of cases answered (the rest abstained)")
    ax.set_ylabel("accuracy")
    ax.invert_xaxis()
    ax.set_title("Risk-coverage (test set)")
    return _png(fig)


def shap_beeswarm_png(explanation, values: np.ndarray, site: int, max_display=12) -> bytes:
    """Beeswarm of one site's per-field contributions (log-odds scale), coloured by ``values``
    (n, n_fields: the field's value where it is one number, else NaN)."""
    import warnings

    with warnings.catch_warnings():  # shap's own import uses a matplotlib call matplotlib warns about
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        shap = require("shap", "tracking")

    plt = _plt()
    e = explanation
    exp = shap.Explanation(
        values=e.terms[:, :, site],
        base_values=(e.baseline + e.calibration + e.prior)[:, site],
        data=values,
        feature_names=[field_label(f) for f in e.fields],
    )
    with warnings.catch_warnings():  # fields of several columns have no one value to colour by (NaN)
        warnings.filterwarnings("ignore", message="All-NaN slice encountered", category=RuntimeWarning)
        shap.plots.beeswarm(exp, max_display=max_display, show=False)
    fig = plt.gcf()
    fig.suptitle(f"Field terms toward {SITES[site]} (clr scale, training mix)")
    return _png(fig)


def waterfall_png(report: dict, max_display: int = 10) -> bytes:
    """A waterfall chart of one scored case's reasons for its top site: the lines the text shows
    (findings, the setting, everything else), from 0 to the score behind the probability, each bar
    labelled with its points. The axis always holds every bar and its label (nothing clipped)."""
    plt = _plt()
    site = max(report["probabilities"], key=report["probabilities"].get)
    bars = [(r["text"].rsplit(": ", 1)[0], r["term"]) for r in report["reasons"]]
    if len(bars) > max_display:  # the smallest findings join "everything else"
        keep, rest = bars[: max_display - 1], sum(v for _, v in bars[max_display - 1 :])
        bars = [*keep, ("everything else", rest)]
    fig, ax = plt.subplots(figsize=(7.2, 0.45 * (len(bars) + 2) + 1.2))
    x, ends = 0.0, [0.0]
    ys = list(range(len(bars), 0, -1))
    for y, (_label, v) in zip(ys, bars):
        ax.barh(y, v, left=x, color="#2f6db5" if v > 0 else "#c0504d", height=0.6)
        ax.text(x + v + (0.03 if v >= 0 else -0.03), y, f"{v:+.1f}", va="center", ha="left" if v >= 0 else "right")
        x += v
        ends.append(x)
    span = max(max(ends) - min(ends), 0.5)
    ax.set_xlim(min(ends) - 0.18 * span, max(ends) + 0.18 * span)  # room for every label
    ax.set_yticks(ys, [b[0] for b in bars], fontsize=8)
    ax.axvline(0, color="grey", lw=0.8, ls=":")
    ax.axvline(x, color="black", lw=0.8)
    p = report["probabilities"][site]
    ax.set_xlabel(f"points toward {site}: they add up to {x:+.1f}, the score behind its {p:.0%}")
    ident = report["model"]
    case = report.get("case_id") or "(no case id)"
    ax.set_title(
        f"Case {case}: why {site}? {ident['name']} {str(ident['bundle_hash'])[:12]}; research use only", fontsize=9
    )
    fig.tight_layout()
    return _png(fig)
