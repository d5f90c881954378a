"""Models compared on the same labelled cases: paired differences of log-loss, accuracy, Brier
score and top-label ECE, with 95% intervals from one bootstrap over patients, overall, per site
and per information stratum."""

from __future__ import annotations

import string

import numpy as np

from .._math import log_loss_terms
from ..contract import SITES, as_canonical, site_sums
from ..estimator import prior_words
from ..exceptions import InputError
from ..models import detail_column, read_labels
from ._bootstrap import PatientBootstrap
from ._compare_result import HIGHER_IS_BETTER, METRICS, Comparison
from ._metrics import MIN_FOR_INTERVALS, site_metrics

_N_BINS = 10  # expected_calibration_error's bins
_CHUNK_CELLS = 2_000_000  # draws x cases weighed at once (16 MB of weights)


def _terms(y, proba) -> np.ndarray:
    """(n, 3 + bins) per case: log-loss, correct, Brier, and confidence minus correct in the
    column of its confidence bin; weighted sums of these give every figure of a resample."""
    n = len(y)
    conf, correct = proba.max(axis=1), (proba.argmax(axis=1) == y).astype(float)
    bins = np.minimum((conf * _N_BINS).astype(int), _N_BINS - 1)
    out = np.zeros((n, 3 + _N_BINS))
    out[:, 0] = log_loss_terms(proba, y)
    out[:, 1] = correct
    out[:, 2] = ((proba - np.eye(proba.shape[1])[y]) ** 2).sum(axis=1)
    out[np.arange(n), 3 + bins] = conf - correct
    return out


def _resampled(sums, total) -> np.ndarray:
    """(draws, 4) figures (METRICS' order) from weighted sums of :func:`_terms` (NaN: no case)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.column_stack([sums[:, :3] / total[:, None], np.abs(sums[:, 3:]).sum(axis=1) / total])


def _subsets(table, y) -> list[tuple[str, str, np.ndarray]]:
    """(group, stratum, mask): all cases, each site present, each information bin present."""
    from ..io import INFORMATION_BINS, information_bin

    out = [("overall", "all cases", np.ones(len(y), dtype=bool))]
    out += [("site", s, y == k) for k, s in enumerate(SITES) if (y == k).any()]
    bins = information_bin(table)
    out += [("fields recorded", name, bins == name) for _, _, name in INFORMATION_BINS if (bins == name).any()]
    return out


def _bootstrap(terms, subsets, boot, n_bootstrap, random_state) -> np.ndarray:
    """(models, subsets, draws, 4) figures of every resample (one set of draws for all). Models
    whose cases' terms are identical share one computation, so a model compared with itself
    differs by exactly 0 in every resample."""
    blocks, block_of = [], []
    for t in terms:
        same = [i for i, u in enumerate(blocks) if np.array_equal(u, t)]
        block_of.append(same[0] if same else len(blocks))
        blocks += [] if same else [t]
    out = np.full((len(blocks), len(subsets), n_bootstrap, len(METRICS)), np.nan)
    width = terms[0].shape[1]
    stacked = [np.hstack([t[mask] for t in blocks]) for _, _, mask in subsets]  # each subset's cases, every model
    draws, chunk = boot.draws(n_bootstrap, random_state), max(1, min(64, _CHUNK_CELLS // max(boot.n, 1)))
    for start in range(0, n_bootstrap, chunk):
        w = np.array([boot.weights(next(draws)) for _ in range(min(chunk, n_bootstrap - start))], dtype=float)
        for s, (_, _, mask) in enumerate(subsets):
            ws = w[:, mask]
            sums, total = ws @ stacked[s], ws.sum(axis=1)
            for k in range(len(blocks)):
                out[k, s, start : start + len(w)] = _resampled(sums[:, k * width : (k + 1) * width], total)
    return out[block_of]


def _interval(point: float, diffs: np.ndarray) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of the resampled differences, moved so that their median
    is the observed difference: an ECE of a resample overstates miscalibration by more than the
    ECE of all cases does, so the raw percentiles can leave the observed difference out."""
    d = diffs[np.isfinite(diffs)]
    if not len(d):
        return float("nan"), float("nan")
    lo, mid, hi = np.percentile(d, [2.5, 50, 97.5])
    return float(point + (lo - mid)), float(point + (hi - mid))


def _verdict(metric: str, lo: float, hi: float) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "no interval"
    up = metric in HIGHER_IS_BETTER
    if lo > 0:
        return "better" if up else "worse"
    if hi < 0:
        return "worse" if up else "better"
    return "no clear difference"


def _patients(table, groups):
    """Each case's patient: ``groups`` when given, else the table's patient_id when it has one."""
    if groups is not None:
        g = np.asarray(groups, dtype=object)
        if len(g) != len(table):
            raise InputError(f"groups: {len(g)} value(s) for {len(table)} case(s); give each case's patient")
        return g
    if "patient_id" not in table.columns:
        return None
    g = table["patient_id"]
    blank = g.isna().to_numpy() | (g.astype(str).str.strip() == "").to_numpy()
    if blank.any():
        rows = ", ".join(str(r + 1) for r in np.flatnonzero(blank)[:5])
        raise InputError(f"patient_id: blank in {int(blank.sum())} case(s) (rows {rows}); every case needs its patient")
    return g.astype(str).to_numpy()


def _setting(models, target_prior) -> tuple[list, dict]:
    """The prior given to each model, and the setting in words: ``None`` (or ``training``) is the
    first model's training mix of sites, given to the others as numbers."""
    first = models[0]
    if target_prior is None or (isinstance(target_prior, str) and target_prior == "training"):
        _, label_mix, _ = first.prior_.resolve("training")
        mix = site_sums(label_mix[None, :], first.label_site_)[0]
        specs = [tuple(float(x) for x in mix)] * len(models)  # one spec: the same model scores the same
        name, words = "training mix of A", "the mix of sites among model A's own training cases"
    else:
        specs = [target_prior] * len(models)
        name, label_mix, _ = first.prior_.resolve(target_prior)
        mix = site_sums(label_mix[None, :], first.label_site_)[0]
        words = prior_words(name)
    return specs, {"name": name, "words": words, "mix": {s: float(x) for s, x in zip(SITES, mix)}}


def _check_models(models, names) -> list[str]:
    if len(models) < 2:
        raise InputError(f"models: {len(models)} given; comparing needs at least two (to evaluate one, use evaluate)")
    if len(models) > len(string.ascii_uppercase):
        raise InputError(f"models: {len(models)} given; at most {len(string.ascii_uppercase)} are compared at once")
    for i, m in enumerate(models):
        if not callable(getattr(m, "forward", None)) or not hasattr(m, "prior_"):
            raise InputError(f"models[{i}]: a {type(m).__name__}, not a fitted SiteModel")
    names = [m.identity_.name for m in models] if names is None else [str(n) for n in names]
    if len(names) != len(models):
        raise InputError(f"names: {len(names)} for {len(models)} models; give one name per model")
    return names


def compare_models(
    models, cohort, *, target_prior=None, n_bootstrap: int = 1000, random_state=0, groups=None, names=None
):
    """Compare fitted models on the same labelled cases under one deployment prior.

    Each model scores every case (:meth:`SiteModel.forward <netorigin.estimator.SiteModel.forward>`,
    the site probabilities; models that learnt sub-sites are compared on their sites). Every
    further model is compared with the first (A): B minus A, C minus A, ... of log-loss,
    accuracy, Brier score and top-label ECE, on all cases, on the cases of each site and on the
    cases of each bin of informative fields recorded (``netorigin.io.INFORMATION_BINS``).
    The 95% intervals come from one bootstrap over patients (the same draws for every model, so
    the differences are paired): the 2.5th and 97.5th percentiles of the resampled differences,
    moved so that their median is the observed difference (an interval always holds its point).
    A group of fewer than 30 cases gets no interval.

    Parameters
    ----------
    models : sequence of SiteModel
        At least two fitted models; the first (A) is the one the others are compared with.
    cohort : DataFrame or ValidatedCohort
        Labelled cases in the contract (``primary_site``, or ``primary_site_detail``, for every case).
    target_prior : str or None
        The one deployment prior every model scores under: a scenario name or ``a,b,c``; None or
        ``training``: the first model's training mix of sites.
    n_bootstrap : int
        Bootstrap resamples (0: no intervals).
    random_state : int
        Seed of the bootstrap.
    groups : array-like, optional
        Each case's patient (default: the cohort's ``patient_id`` when it has one, else each
        case is its own patient).
    names : sequence of str, optional
        How each model was given (a bundle folder, ``models:/NAME@ALIAS``); default its name.

    Returns
    -------
    Comparison
        The figures; :meth:`Comparison.table` has one row per comparison, group of cases and metric.

    Examples
    --------
    >>> from netorigin import load_bundle, default_model_path, make_synthetic_cohort
    >>> shipped = load_bundle(default_model_path())
    >>> cases = make_synthetic_cohort(200, random_state=0)
    >>> c = compare_models([shipped, shipped], cases, n_bootstrap=50)
    >>> row = c.table().query("stratum == 'all cases' and metric == 'log_loss'").iloc[0]
    >>> float(row["difference"]), float(row["ci_low"]), float(row["ci_high"])
    (0.0, 0.0, 0.0)
    >>> print(c.verdicts()[0])
    No clear difference between B and A in log-loss (+0.000 to +0.000), accuracy (+0.000 to
    +0.000), Brier score (+0.000 to +0.000) or ECE (+0.000 to +0.000).
    """
    names = _check_models(list(models), names)
    models = list(models)
    table = as_canonical(cohort)
    if "primary_site" not in table.columns:
        raise InputError("primary_site: the cohort has no label column; comparing models needs each case's site")
    if len(table) == 0:
        raise InputError("cohort: no cases to compare the models on")
    y, _ = read_labels(table["primary_site"], len(table), detail_column(table), integers=False, field="primary_site")
    specs, setting = _setting(models, target_prior)
    probas = [m.forward(table, target_prior=spec).proba for m, spec in zip(models, specs)]
    boot = PatientBootstrap(len(y), _patients(table, groups))
    subsets = _subsets(table, y)
    if n_bootstrap and len(y) >= MIN_FOR_INTERVALS:
        resampled = _bootstrap([_terms(y, p) for p in probas], subsets, boot, n_bootstrap, random_state)
    else:
        resampled = None
    points = [[site_metrics(y[mask], p[mask], scalars_only=True) for _, _, mask in subsets] for p in probas]
    labels = string.ascii_uppercase[: len(models)]
    rows = _rows(labels, subsets, points, resampled)
    idents = [
        {"label": lab, "given_as": name, **m.identity_.as_dict()}
        for lab, name, m in zip(labels, names, models, strict=True)
    ]
    return Comparison(
        models=tuple(idents),
        setting=setting,
        n=len(y),
        n_patients=boot.n_units,
        site_counts={s: int((y == k).sum()) for k, s in enumerate(SITES)},
        n_bootstrap=int(n_bootstrap) if resampled is not None else 0,
        random_state=random_state,
        rows=tuple(rows),
        notes=tuple(_notes(models, specs, subsets, n_bootstrap)),
    )


def _rows(labels, subsets, points, resampled) -> list[dict]:
    """One row per further model, group of cases and metric: both figures, the difference and
    its interval (none for a group of fewer than MIN_FOR_INTERVALS cases), and the verdict."""
    rows = []
    for k in range(1, len(labels)):
        for s, (group, stratum, mask) in enumerate(subsets):
            enough = resampled is not None and mask.sum() >= MIN_FOR_INTERVALS
            for j, metric in enumerate(METRICS):
                a, b = points[0][s][metric], points[k][s][metric]
                lo, hi = _interval(b - a, resampled[k, s, :, j] - resampled[0, s, :, j]) if enough else (np.nan,) * 2
                rows.append(
                    {
                        "comparison": f"{labels[k]} - A",
                        "model": labels[k],
                        "baseline": "A",
                        "group": group,
                        "stratum": stratum,
                        "n": int(mask.sum()),
                        "metric": metric,
                        "baseline_value": float(a),
                        "model_value": float(b),
                        "difference": float(b - a),
                        "ci_low": lo,
                        "ci_high": hi,
                        "verdict": _verdict(metric, lo, hi),
                    }
                )
    return rows


def _notes(models, specs, subsets, n_bootstrap) -> list[str]:
    out = []
    levels = {m.level_ for m in models}
    if "subsite" in levels:
        out.append("models that learnt sub-sites are compared on their sums over the three sites")
    for lab, m, spec in zip(string.ascii_uppercase, models, specs):
        unseen = m.prior_.resolve(spec)[2]
        if unseen > 0:
            out.append(f"model {lab} never saw sub-sites holding {unseen:.1%} of this setting's mix (left out)")
    n = int(subsets[0][2].sum())
    small = [
        f"{name}{' fields recorded' if group == 'fields recorded' else ''} ({int(m.sum())} case(s))"
        for group, name, m in subsets
        if m.sum() < MIN_FOR_INTERVALS
    ]
    if n_bootstrap and n < MIN_FOR_INTERVALS:
        out.append(f"no intervals: {n} case(s) are too few for a 95% interval (at least {MIN_FOR_INTERVALS})")
    elif n_bootstrap and small:
        out.append(f"no interval for groups of fewer than {MIN_FOR_INTERVALS} cases: {', '.join(small)}")
    elif not n_bootstrap:
        out.append("no intervals: no bootstrap resamples were asked for")
    return out
