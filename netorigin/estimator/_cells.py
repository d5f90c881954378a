"""The model's cells: fitted to its training cohort (the latent-class kind's own, or the
literature's cells fitted to the cases), what the next-test advice reads, and what the procedures
are read from.

The classifier reads the findings (stains, secretion, imaging, grade, expression...). The procedures
that looked for the primary (:data:`~netorigin.contract.PROCEDURE_FIELDS`) are read as *evidence*
from these cells (:meth:`ModelCells.procedure_evidence`): a procedure's result depends on where the
primary is, not on its stains, so given the sub-site it is independent of every other finding (the
cell model's structure, and the generator's), and Bayes' rule adds its log-likelihood under each
label to the classifier's calibrated log-probabilities:

    log p(label | findings, procedures) = log p(label | findings) + sum_f log P(result_f | label) + c

with P(result | label) from the cells (the literature's detection and false-positive figures as
the prior of their fit, :func:`~netorigin.models.fit_advice_cells`). A confirmed primary then settles
the site whatever stains stand beside it (a classifier learns a rare result only as far as its
training cases show it), and the advice's chance of each procedure result and the answer after it
come from the same numbers. A kind whose classifier reads the procedures itself (the latent-class
kind: they are in its cells) gets no evidence on top.
"""

from __future__ import annotations

import numpy as np

from .._math import floored_log, log_softmax, logsumexp
from ..contract import FIELDS, PROCEDURE_FIELDS, SITES, as_canonical, column_codes
from ..models import advice_notice, fit_advice_cells, site_codes
from ._conformal import ConformalSets
from ._forward import evidence_sum


class ModelCells:
    """The model's cells (``SiteModel.cells_``): what the next-test advice reads and what the
    procedures are read from, with the fields the model reads because of them.

    Parameters
    ----------
    fitted : FittedCells, cell model or None
        The cells fitted to the training cohort (None: a bundle written before the model had its
        own; the literature's are used).
    labels : array-like of str
        The model's labels (``SiteModel.labels_``).
    prior : PriorShift
        The model's deployment prior (which setting's sub-site mix weighs a site's cells).
    classifier_fields : frozenset of str
        The contract fields the model's classifier itself reads.
    """

    def __init__(self, fitted, *, labels, prior, classifier_fields):
        self.fitted = fitted
        self.labels = np.asarray(labels, dtype=object)
        self.prior = prior
        self.classifier_fields = frozenset(classifier_fields)
        self._literature = None

    def literature(self):
        """The :class:`~netorigin.literature.Literature` whose cells the next-test advice uses.

        Returns
        -------
        Literature
            Fitted to the training cohort when the model was trained here, else the literature's.
        """
        from ..literature import Literature, default_literature

        if self.fitted is None:
            return default_literature()
        if self._literature is None:  # the literature kind's own cells are a cell model, without fitted rows
            rows = getattr(self.fitted, "rows", None) or default_literature().parameter_rows
            lit = Literature.from_tables(rows, default_literature().scenario_rows)
            lit.model = getattr(self.fitted, "model", self.fitted)
            self._literature = lit
        return self._literature

    def evidence_fields(self) -> tuple[str, ...]:
        """The procedures read as evidence from these cells (see the module docstring).

        Returns
        -------
        tuple of str
            Those the fitted cells know and the classifier does not read; none without fitted cells
            (a bundle written before procedures were part of the case).
        """
        reads = self.classifier_fields
        if self.fitted is None or all(f in reads for f in PROCEDURE_FIELDS):
            return ()  # (the latent-class kind: its classifier reads them from its own cells)
        known = self.literature().model.procedures
        return tuple(f for f in PROCEDURE_FIELDS if f in known and f not in reads)

    def fields_read(self) -> frozenset:
        """The contract fields the model reads: its classifier's, and the procedures read as evidence.

        A field outside it (a procedure, for a model trained before procedures existed) is not used,
        and scoring says so.

        Returns
        -------
        frozenset of str
            The fields read.
        """
        return self.classifier_fields | frozenset(self.evidence_fields())

    def unread_fields(self) -> tuple[str, ...]:
        """The procedures the model does not read (all of them for a model trained before
        procedures were part of the case: recorded, they say nothing to it).

        Returns
        -------
        tuple of str
            The procedure fields outside :meth:`fields_read`.
        """
        known = self.fields_read()
        return tuple(f for f in PROCEDURE_FIELDS if f not in known)

    def label_cells(self, target_prior=None) -> tuple[np.ndarray, np.ndarray]:
        """Which label each cell belongs to, and its weight within the label.

        A sub-site's phenotype cells in their weights; a site's (or an unspecified other's) sub-sites in
        the setting's mix.

        Parameters
        ----------
        target_prior : str or None
            The setting (None: the model's own deployment prior).

        Returns
        -------
        tuple of ndarray
            (label index of each cell or -1, the cell's weight within its label).
        """
        from ._prior import scenario_subsite_mixes

        model = self.literature().model
        labels = list(self.labels)
        pw = model.phenotype_weight
        mixes = scenario_subsite_mixes()
        mix = mixes.get(self.prior.name(target_prior), mixes.get("training-mix", {}))
        idx, w = np.full(len(model.cells), -1), np.zeros(len(model.cells))
        for c, (site, sub, _) in enumerate(model.cells):
            if sub in labels:
                idx[c], w[c] = labels.index(sub), pw[c]
            elif site in labels:
                idx[c], w[c] = labels.index(site), pw[c] * mix.get(sub, 0.0)
        return idx, w

    def procedure_evidence(self, table, target_prior=None):
        """Every procedure read as evidence, with the log-likelihood of its result.

        Field by field, the log-likelihood its recorded result adds under each label given the ones
        before it (they add up to log P(every result | label); 0 where not done, so that a case gets the
        same terms alone or in a batch).

        Parameters
        ----------
        table : DataFrame
            Cases in the contract.
        target_prior : str or None
            The setting (None: the model's own deployment prior).

        Returns
        -------
        tuple or None
            (fields, terms of shape (n_cases, n_fields, n_labels)); None for a model without such
            procedures.
        """
        fields = list(self.evidence_fields())
        if not fields:
            return None
        n = len(table)
        codes = {f: column_codes(table, f) for f in fields}
        codes = {f: (c if c is not None else np.full(n, -1)) for f, c in codes.items()}
        from ..literature._procedures import procedure_table

        model = self.literature().model
        idx, w = self.label_cells(target_prior)
        L = len(self.labels)
        with np.errstate(divide="ignore"):
            logw = np.log(w)
        onehot = np.zeros((len(w), L))
        onehot[idx >= 0, idx[idx >= 0]] = 1.0
        joint = np.zeros((n, len(w)))  # log P(results so far | cell)
        before = _per_label(np.broadcast_to(logw, (n, len(w))), onehot)  # log of each label's weight
        terms = np.zeros((n, len(fields), L))
        for j, f in enumerate(fields):
            logP = floored_log(procedure_table(model, f))  # (cells, values); never -inf
            done = np.flatnonzero(codes[f] >= 0)
            if not len(done):
                continue  # its terms stay 0
            # only the cases with a result: every other case's term is 0 (row by row, the same bits)
            joint[done] += logP[:, codes[f][done]].T
            now = _per_label(joint[done] + logw, onehot)
            with np.errstate(invalid="ignore"):
                terms[done, j, :] = np.where(np.isfinite(before[done]), now - before[done], 0.0)  # no cells: 0
            before[done] = now
        return fields, terms


def classifier_fields(features, classifier) -> frozenset:
    """The contract fields a fitted classifier reads: its features' fields or, for a kind that reads
    the case table, what its cells know."""
    if features is not None:
        return frozenset(features.feature_fields_)
    reads = getattr(classifier.estimator_, "fields_read", None)
    return frozenset(reads()) if reads is not None else frozenset(FIELDS)


def fit_cells(model, X, y, *, n_training=None, groups=None) -> tuple[ModelCells, list]:
    """The cells the next-test advice uses, fitted to labelled training cases ``X`` (sites ``y``;
    ``n_training``: the training cases they are a sample of, if they are; ``groups``: each case's
    patient, for the literature weight's folds), and the notices fitting them gives: the latent-class
    kind's own cells; any other kind's, the literature's cells fitted to the cases
    (:func:`~netorigin.models.fit_advice_cells`: beyond :data:`~netorigin.models.ADVICE_CV_MAX`
    cases, on a sample, said in a notice). Both engines reach it through ``SiteModel._finish_fit``,
    after the classifier is fitted."""
    features, clf = model._parts
    reads = dict(labels=model.labels_, prior=model.prior_, classifier_fields=classifier_fields(features, clf))
    own = getattr(clf.estimator_, "cells_", None)
    if own is not None:
        return ModelCells(own, **reads), []
    table = as_canonical(X)
    if model.level_ == "subsite":
        labels = table["primary_site_detail"].astype(object).to_numpy()
    else:
        labels = np.array(SITES, dtype=object)[site_codes(y)]
    total = n_training or len(labels)
    fitted, used = fit_advice_cells(table, labels, model.level_, model.random_state, total, groups)
    return ModelCells(fitted, **reads), ([advice_notice(used, total)] if used < total else [])


def refit_sets(model, margins, y, n_fields, table) -> ConformalSets:
    """The conformal sets refitted on the held-out cases ``table`` (margins, label indices ``y``,
    informative-field counts) with the procedures they record read as evidence, as scoring reads
    them (:meth:`ModelCells.procedure_evidence`), once the cells are fitted: the sets' thresholds come
    from the probabilities the model shows. The model's own sets when no held-out case records a
    procedure the model reads that way. Called by ``SiteModel._finish_fit`` after the cells."""
    evidence = evidence_sum(model.cells_.procedure_evidence(as_canonical(table), "training"))
    if evidence is None:
        return model.conformal_
    proba = np.exp(log_softmax(model.calibrator_.log_proba(margins) + evidence))
    return ConformalSets().fit(proba, np.asarray(y, dtype=int), label_site=model.label_site_, n_fields=n_fields)


def _per_label(z: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """(n, labels) log of the sum over each label's cells of exp(z) (n, cells) (-inf for none)."""
    out = np.full((len(z), onehot.shape[1]), -np.inf)
    for k in range(onehot.shape[1]):
        cols = np.flatnonzero(onehot[:, k] > 0)
        if len(cols):
            out[:, k] = logsumexp(z[:, cols], axis=1)
    return out
