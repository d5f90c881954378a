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
    """A waterfall chart of one scored case's reasons for its top site, on the scale the text uses
    (clr: log of the site's probability over the geometric mean of the three), each bar labelled
    with the field, its value and its term, titled with the case id and the model."""
    plt = _plt()
    e = report["explanation"]
    site = max(report["probabilities"], key=report["probabilities"].get)
    start = e["baseline"][site] + e["calibration"][site]
    bars = [(f"{r['text'].split(':')[0]}", r["term"]) for r in report["reasons"]]
    shown = {r["field"] for r in report["reasons"]}
    rest = e["total"][site] - start - sum(v for _, v in bars)
    if abs(rest) > 1e-9:
        bars.append(("other recorded fields (each small)" if shown else "all fields", rest))
    bars = bars[:max_display]
    fig, ax = plt.subplots(figsize=(7.2, 0.45 * (len(bars) + 2) + 1.2))
    x = start
    ys = list(range(len(bars), 0, -1))
    for y, (_label, v) in zip(ys, bars):
        ax.barh(y, v, left=x, color="#2e7d32" if v > 0 else "#c62828", height=0.6)
        ax.text(
            x + v + (0.02 if v >= 0 else -0.02),
            y,
            f"{v:+.2f}",
            va="center",
            ha="left" if v >= 0 else "right",
            fontsize=8,
        )
        x += v
    ax.set_yticks(ys, [b[0] for b in bars], fontsize=8)
    ax.axvline(start, color="grey", lw=0.8, ls=":")
    ax.axvline(x, color="black", lw=0.8)
    p = report["probabilities"][site]
    ax.set_xlabel(f"clr of p({site}): start {start:+.2f} (model baseline), end {x:+.2f} (p = {p:.1%})")
    ident = report["model"]
    case = report.get("case_id") or "(no case id)"
    ax.set_title(
        f"Case {case}: why {site}? {ident['name']} {str(ident['bundle_hash'])[:12]}; research use only", fontsize=9
    )
    fig.tight_layout()
    return _png(fig)
