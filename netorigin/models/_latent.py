"""The ``latent-class`` kind: the literature's cells fitted to the training cohort, the literature
as the prior, its weight chosen by cross-validation.

The model is the generative one the synthetic world is made of: a case's sub-site and phenotype
(its cell) is latent within its label, and every field depends on the cell only. Fitting
(:func:`~netorigin.literature.fit_cells`) moves each literature parameter towards the cohort in
proportion to how much the cohort says about it; the literature's weight (its pseudo-counts are
``weight x n_eff``) is the one that predicts held-out cases' sites best (``literature_weight="cv"``)
or a given number. "Not done" is handled natively (it contributes nothing), so a sparse case
needs no imputation. A label's margin is ``log p(label) + log sum over its cells of
w_cell p(fields | cell)``; its explanation splits that into one term per field exactly
(a label of one cell: each field's log-likelihood; of several: integrated along the path from no
field to all of them).
"""

from __future__ import annotations

import numpy as np

from .._math import LOSS_FLOOR, log_loss_terms, log_softmax, logsumexp, softmax
from .._runtime import MAX_WEIGHT, BaseEstimator, ClassifierMixin, check_is_fitted
from ..contract import SITES, Notice, as_canonical, site_of, site_sums
from ..exceptions import InputError, check_stored
from ._registry import ModelKind, dump_json, read_json, register, stored_classes
from ._site import LEVELS
from ._weight_folds import weight_folds

WEIGHTS = (0.3, 1.0, 3.0)  # the literature weights cross-validation chooses from
CV_FOLDS = 3
CV_TOL = 1e-3  # EM's tolerance while choosing the weight (the held-out losses settle long before the parameters)


class LatentClassSiteClassifier(ClassifierMixin, BaseEstimator):
    """Latent-class model of the literature's cells, fitted to the cohort by EM.

    Parameters
    ----------
    literature_weight : "cv" or float
        The literature's weight (pseudo-counts = weight x n_eff per parameter); ``"cv"`` chooses it
        from :data:`WEIGHTS` by ``CV_FOLDS``-fold cross-validated site log-loss.
    level : {"site", "subsite"}
        What the label codes mean (set by :class:`~netorigin.models.SiteClassifier`).
    random_state : int or None
        The cross-validation folds.

    Attributes
    ----------
    n_iter_, converged_, objective_ : int, bool, list of float
        The final EM fit's steps, whether it met its tolerance, and the mean log-posterior per case
        at the start of each of its iterations (never lowered by an EM step,
        :mod:`netorigin.literature._objective`).
    """

    def __init__(self, *, literature_weight="cv", level="site", random_state=None):
        self.literature_weight = literature_weight
        self.level = level
        self.random_state = random_state

    def fit(self, X, y, groups=None):
        """Fit to cases ``X`` with label codes ``y``; ``groups``: each case's patient (the weight's
        cross-validation folds keep a patient's cases together; None: one case per patient)."""
        from ..literature import fit_cells

        table = as_canonical(X)
        codes = np.asarray(y, dtype=int)
        if self.level not in LEVELS:
            raise InputError(f"level: {self.level!r} is not one of {', '.join(LEVELS)}")
        self.classes_ = np.unique(codes)
        names = np.array(LEVELS[self.level], dtype=object)
        labels = names[codes]
        self.label_names_ = [str(x) for x in names[self.classes_]]
        self.log_prior_ = np.log(np.array([(codes == c).mean() for c in self.classes_]))
        if self.literature_weight == "cv":
            self.cells_, self.cv_scores_ = fit_cells_cv(table, labels, self.level, self.random_state, groups)
        else:
            self.cells_ = fit_cells(table, labels, level=self.level, weight=float(self.literature_weight))
            self.cv_scores_ = {}
        self.literature_weight_ = self.cells_.weight
        self.n_iter_, self.converged_, self.objective_ = (
            self.cells_.iterations,
            self.cells_.converged,
            self.cells_.objective,
        )
        self.n_features_in_ = table.shape[1]
        return self

    def fields_read(self) -> frozenset:
        """The contract fields the fitted cells read (no procedure they have no rates for)."""
        from ..literature import fields_read

        check_is_fitted(self, "cells_")
        return fields_read(self.cells_.model)

    def _member(self):
        from ..literature import allowed_cells

        return allowed_cells(self.cells_.model, self.label_names_, self.level)  # (labels, cells)

    def decision_function(self, X):
        from ..literature import label_log_joint

        check_is_fitted(self, "cells_")
        joint = self.log_prior_[None, :] + label_log_joint(self.cells_, as_canonical(X), self.label_names_, self.level)
        # log p(label | fields): a label another model lacks is far below
        return joint - logsumexp(joint, axis=1)[:, None]

    def predict_proba(self, X):
        return softmax(self.decision_function(X))

    def predict(self, X):
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]

    def field_terms(self, X) -> tuple[list, np.ndarray, np.ndarray]:
        """(fields, contributions (n, fields, labels), base (n, labels)): base + contributions
        summed over fields = the margins. A label of one cell: each field's log-likelihood under
        it; of several cells: each field's log-likelihood averaged over the cells' weights along
        the path from no field to all (Gauss-Legendre, refined until the terms add up within
        1e-10)."""
        from ..literature import cell_log_weights, iter_field_logliks

        check_is_fitted(self, "cells_")
        table = as_canonical(X)
        model = self.cells_.model
        names, blocks = zip(*[(f, np.asarray(L)) for f, L in iter_field_logliks(model, table)])
        Lf = np.stack(blocks, axis=1)  # (n, fields, cells)
        lw = cell_log_weights(model, self.cells_.subsite_share)
        n, F = Lf.shape[0], Lf.shape[1]
        contrib = np.zeros((n, F, len(self.label_names_)))
        for j, m in enumerate(self._member()):
            cells = np.flatnonzero(m)
            w = log_softmax(lw[cells])
            contrib[:, :, j] = _path_terms(Lf[:, :, cells], w)
        joint = self.log_prior_[None, :] + contrib.sum(axis=1)
        base = self.log_prior_[None, :] - logsumexp(joint, axis=1)[:, None]  # the normaliser is shared by every label
        return list(names), contrib, base


def _path_terms(Lf: np.ndarray, logw: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """(n, fields): the terms of log sum_c w_c exp(sum_f Lf[:, f, c]) (sum_c w_c = 1), each field's
    log-likelihood averaged along t in [0, 1] over the cells' weights at t."""
    if Lf.shape[2] == 1:
        return Lf[:, :, 0]
    S = Lf.sum(axis=1)  # (n, cells)
    target = logsumexp(logw[None, :] + S, axis=1)
    for panels in (4, 32, 256, 2048):
        x, wq = np.polynomial.legendre.leggauss(16)
        edges = np.linspace(0, 1, panels + 1)
        t = (edges[:-1, None] + np.diff(edges)[:, None] * (x[None, :] + 1) / 2).ravel()
        wt = (np.diff(edges)[:, None] * wq[None, :] / 2).ravel()
        terms = np.zeros(Lf.shape[:2])
        for tk, wk in zip(t, wt):
            z = logw[None, :] + tk * S
            r = np.exp(z - logsumexp(z, axis=1)[:, None])
            terms += wk * np.einsum("nfc,nc->nf", Lf, r)
        if np.abs(terms.sum(axis=1) - target).max() <= tol:
            break
    return terms


ADVICE_CV_MAX = 75_000  # beyond this many cases the data outweigh the literature (20 cases a figure) at any weight
ADVICE_MAX = 10_000  # ... and the advice's cells are fitted to a label-stratified sample of this many


def fit_cells_cv(table, labels, level: str, random_state=None, groups=None):
    """The literature's cells fitted to labelled cases, the literature's weight chosen from
    :data:`WEIGHTS` by cross-validated site log-loss: ``(FittedCells, {weight: held-out log-loss})``
    (``groups``: each case's patient, kept within one fold). The cells every trained model advises
    from (its own, for the latent-class kind)."""
    from ..literature import fit_cells

    labels = np.asarray(labels, dtype=object)
    names = [x for x in dict.fromkeys(labels)]
    scores = _cross_validate(table, labels, level, names, random_state, groups)
    weight = min(scores, key=lambda w: (scores[w], -w))  # ties: more literature
    return fit_cells(table, labels, level=level, weight=weight), scores


def fit_advice_cells(table, labels, level: str, random_state=None, n_training: int | None = None, groups=None):
    """The cells a classifier of another kind advises from, fitted to its training cases: as
    :func:`fit_cells_cv` up to :data:`ADVICE_CV_MAX` training cases; beyond, weight 1 (the
    literature's pseudo-counts are then a small share whatever the weight) on a label-stratified
    sample of :data:`ADVICE_MAX` cases (the cells are a few hundred rates, settled long before: EM
    on every case of a million-case cohort would cost more than the classifier). ``n_training``:
    the training cases ``table`` stands for when it is already a sample of them (the Dask engine).
    Returns ``(FittedCells, cases used)``."""
    from ..literature import fit_cells

    labels = np.asarray(labels, dtype=object)
    if (n_training or len(labels)) <= ADVICE_CV_MAX:
        return fit_cells_cv(table, labels, level, random_state, groups)[0], len(labels)
    keep = stratified_sample(labels, ADVICE_MAX, random_state)
    return fit_cells(table.iloc[keep], labels[keep], level=level, weight=1.0), len(keep)


def advice_notice(used: int, total: int) -> Notice:
    """What a user is told when the advice's cells were fitted to a sample of the training cases."""
    return Notice(
        "model",
        f"the next-test advice's cells were fitted to a sample of {used:,} of the {total:,} training cases "
        "(the classifier used every case)",
    )


def stratified_sample(labels: np.ndarray, n: int, random_state=None) -> np.ndarray:
    """Sorted row indices of at most ``n`` rows, each label's share kept (at least one row of each)."""
    labels = np.asarray(labels, dtype=object)
    if len(labels) <= n:
        return np.arange(len(labels))
    rng = np.random.default_rng(random_state)
    out = []
    for lab in dict.fromkeys(labels):
        idx = np.flatnonzero(labels == lab)
        take = max(1, int(round(n * len(idx) / len(labels))))
        out.append(rng.choice(idx, size=min(take, len(idx)), replace=False))
    return np.sort(np.concatenate(out))


def _cross_validate(table, labels, level, label_names, random_state, groups=None) -> dict:
    """Held-out site log-loss of each literature weight (folds: :func:`weight_folds`)."""
    from ..literature import fit_cells, label_log_joint

    fold = weight_folds(labels, CV_FOLDS, groups, random_state)
    site = site_of(label_names)
    code = {x: j for j, x in enumerate(label_names)}
    y_site = site[np.array([code[x] for x in labels])]
    scores = {w: 0.0 for w in WEIGHTS}
    for k in range(CV_FOLDS):
        train, test = fold != k, fold == k
        if not test.any() or not train.any():
            continue
        counts = np.array([(labels[train] == x).sum() for x in label_names]) + 0.5  # a label a fold lacks
        prior = np.log(counts / counts.sum())
        start = None
        for w in sorted(WEIGHTS, reverse=True):  # from the most literature down, each from the last
            start = fit_cells(
                table.iloc[np.flatnonzero(train)], labels[train], level=level, weight=w, start=start, tol=CV_TOL
            )
            J = prior[None, :] + label_log_joint(start, table.iloc[np.flatnonzero(test)], label_names, level)
            ps = site_sums(softmax(J), site)
            scores[w] += float(log_loss_terms(ps, y_site[test]).sum())
    n = len(labels)
    return {float(w): s / n for w, s in scores.items()}


def _make(random_state=None, **params):
    return None, LatentClassSiteClassifier(random_state=random_state, **params)


def _explain(clf, table, feature_fields):
    return clf.field_terms(table)


def cells_to_files(cells, folder: str) -> dict:
    """Fitted cells as bundle files: ``folder/parameters.csv`` (the literature's columns, fitted
    values) and ``folder/cells.json`` (sub-site shares, the literature's weight, the fit)."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(cells.rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(cells.rows)
    state = {
        "subsite_share": [float(x) for x in cells.subsite_share],
        "literature_weight": cells.weight,
        "iterations": cells.iterations,
        "loglik": cells.loglik,
    }
    return {f"{folder}/parameters.csv": buf.getvalue().encode("utf-8"), f"{folder}/cells.json": dump_json(state)}


def cells_from_files(files: dict, folder: str):
    """The inverse of :func:`cells_to_files`; every figure checked (the parameter table as any
    parameter table is; each cell's sub-site share from 0 to 1, the shares of a site's sub-sites
    adding up to 1; the literature's weight, the fit's log-likelihood and iterations)."""
    from ..literature import FittedCells, build_model, floor_rates, parameter_records

    rows = parameter_records(f"{folder}/parameters.csv", data=files[f"{folder}/parameters.csv"])
    state = read_json(files[f"{folder}/cells.json"], f"{folder}/cells.json")
    model = floor_rates(build_model(rows, f"{folder}/parameters.csv"))
    where = f"{folder}/cells.json"
    if not isinstance(state, dict):
        raise InputError(f"{where}: not fitted cells (a mapping)")
    share = check_stored(
        state.get("subsite_share"), f"{where}: subsite_share", shape=(model.n_cells,), low=0, high=1, above=True
    )
    _check_shares(model, share, where)
    return FittedCells(
        rows=rows,
        model=model,
        subsite_share=share,
        weight=float(
            check_stored(
                state.get("literature_weight"),
                f"{where}: literature_weight",
                shape=(),
                low=0,
                high=MAX_LITERATURE_WEIGHT,
                above=True,
            )
        ),
        loglik=float(check_stored(state.get("loglik"), f"{where}: loglik", shape=(), low=-1e6, high=1e6)),
        iterations=int(
            check_stored(state.get("iterations"), f"{where}: iterations", shape=(), low=0, high=10**6, whole=True)
        ),
    )


MAX_LITERATURE_WEIGHT = 1e6  # the literature counted as at most a million times its effective cases


def _check_shares(model, share: np.ndarray, where: str) -> None:
    """Each sub-site's cells carry the same share, and the sub-sites of a site add up to 1."""
    subs = {}
    for (site, sub, _), v in zip(model.cells, share):
        if subs.setdefault((site, sub), v) != v:
            raise InputError(
                f"{where}: subsite_share: the cells of {sub} carry different shares ({subs[site, sub]:g}, {v:g})"
            )
    for site in SITES:
        total = sum(v for (s, _), v in subs.items() if s == site)
        if abs(total - 1) > 1e-6:
            raise InputError(f"{where}: subsite_share: the sub-sites of {site} add up to {total:.6g}, not 1")


def _to_files(clf):
    state = {
        "level": clf.level,
        "classes": [int(c) for c in clf.classes_],
        "labels": clf.label_names_,
        "log_prior": [float(x) for x in clf.log_prior_],
        "cv_site_log_loss": {str(k): v for k, v in clf.cv_scores_.items()},
    }
    return {**cells_to_files(clf.cells_, "latent"), "latent/model.json": dump_json(state)}


def _from_files(files):
    state = read_json(files["latent/model.json"], "latent/model.json")
    cells = cells_from_files(files, "latent")
    where = "latent/model.json"
    if not isinstance(state, dict) or state.get("level") not in LEVELS:
        raise InputError(f"{where}: level {str((state or {}).get('level'))[:40]!r} is not one of {', '.join(LEVELS)}")
    labels = state.get("labels")
    vocab = LEVELS[state["level"]]
    if not isinstance(labels, list) or not labels or not all(x in vocab for x in labels):
        raise InputError(f"{where}: labels: {str(labels)[:80]!r} are not {state['level']} labels")
    classes = stored_classes(state.get("classes"), len(labels), where)
    if [vocab[c] if c < len(vocab) else None for c in classes] != labels:
        raise InputError(f"{where}: classes {classes.tolist()} are not the codes of the labels {labels}")
    log_prior = check_stored(
        state.get("log_prior"), f"{where}: log_prior", shape=(len(labels),), low=-MAX_WEIGHT, high=0
    )
    total = float(np.exp(log_prior).sum())
    if abs(total - 1) > 1e-6:
        raise InputError(f"{where}: log_prior: the labels' prior probabilities add up to {total:.6g}, not 1")
    scores = state.get("cv_site_log_loss", {})
    if not isinstance(scores, dict):
        raise InputError(f"{where}: cv_site_log_loss: not a mapping of weight -> log-loss")
    clf = LatentClassSiteClassifier(literature_weight=cells.weight, level=state["level"])
    clf.cells_, clf.classes_, clf.label_names_ = cells, classes, [str(x) for x in labels]
    clf.log_prior_, clf.literature_weight_ = log_prior, cells.weight
    clf.cv_scores_ = {
        float(check_stored(k, f"{where}: cv_site_log_loss weight", shape=(), low=0, above=True)): float(
            check_stored(v, f"{where}: cv_site_log_loss[{k}]", shape=(), low=0, high=-np.log(LOSS_FLOOR))
        )
        for k, v in scores.items()
    }
    return clf


register(
    ModelKind(
        name="latent-class",
        summary="the literature's cells fitted to the cohort by EM, the literature as the prior "
        "(its weight chosen by cross-validation); handles tests not done natively",
        make_classifier=_make,
        explain=_explain,
        to_files=_to_files,
        from_files=_from_files,
        files=("latent/parameters.csv", "latent/cells.json", "latent/model.json"),
        subsites=True,
        merges_rare=False,
        calibrates=False,
    )
)
