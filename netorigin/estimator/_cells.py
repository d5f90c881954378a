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
from .._runtime import check_is_fitted
from ..contract import PROCEDURE_FIELDS, SITES, as_canonical, column_codes
from ..models import advice_notice, fit_advice_cells, site_codes
from ._conformal import ConformalSets
from ._forward import evidence_sum


class ModelCells:
    """Mixed into :class:`~netorigin.estimator.SiteModel`."""

    def _fit_advice(self, X, y, *, n_training=None, groups=None):
        """Fit the cells the next-test advice uses to labelled training cases ``X`` (sites ``y``;
        ``n_training``: the training cases they are a sample of, if they are; ``groups``: each
        case's patient, for the literature weight's folds): the latent-class
        kind's own cells; any other kind's, the literature's cells fitted to the cases
        (:func:`~netorigin.models.fit_advice_cells`: beyond
        :data:`~netorigin.models.ADVICE_CV_MAX` cases, on a sample, said in a notice). Both
        engines call it, through ``SiteModel._finish_fit``, after the classifier is fitted."""
        check_is_fitted(self, "estimator_")
        own = getattr(self.estimator_[-1].estimator_, "cells_", None)
        if own is not None:
            self.cells_ = own
            return self
        table = as_canonical(X)
        if self.level_ == "subsite":
            labels = table["primary_site_detail"].astype(object).to_numpy()
        else:
            labels = np.array(SITES, dtype=object)[site_codes(y)]
        total = n_training or len(labels)
        self.cells_, used = fit_advice_cells(table, labels, self.level_, self.random_state, total, groups)
        if used < total:
            self.notices_ = [*getattr(self, "notices_", []), advice_notice(used, total)]
        return self

    def cells(self):
        """The :class:`~netorigin.literature.Literature` whose cells the next-test advice uses.

        Returns
        -------
        Literature
            Fitted to the training cohort when the model was trained here, else the literature's.
        """
        from ..literature import Literature, default_literature

        cells = getattr(self, "cells_", None)
        if cells is None:
            return default_literature()
        lit = self.__dict__.get("_cells_lit")
        if lit is None:  # the literature kind's own cells are a cell model, without fitted rows
            rows = getattr(cells, "rows", None) or default_literature().parameter_rows
            lit = self._cells_lit = Literature.from_tables(rows, default_literature().scenario_rows)
            lit.model = getattr(cells, "model", cells)
        return lit

    def evidence_fields(self) -> tuple[str, ...]:
        """The procedures read as evidence from the model's own cells (see the module docstring).

        Returns
        -------
        tuple of str or None
            Those its fitted cells know and its classifier does not read; None for a model without
            fitted cells (a bundle written before procedures were part of the case).
        """
        cells = getattr(self, "cells_", None)
        reads = self.classifier_fields()
        if cells is None or all(f in reads for f in PROCEDURE_FIELDS):
            return ()  # (the latent-class kind: its classifier reads them from its own cells)
        known = self.cells().model.procedures
        return tuple(f for f in PROCEDURE_FIELDS if f in known and f not in reads)

    def label_cells(self, target_prior=None) -> tuple[np.ndarray, np.ndarray]:
        """Which label each of the model's cells belongs to, and its weight within the label.

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

        model = self.cells().model
        labels = list(self.labels_)
        pw = model.phenotype_weight
        mixes = scenario_subsite_mixes()
        mix = mixes.get(self.prior_name(target_prior), mixes.get("training-mix", {}))
        idx, w = np.full(len(model.cells), -1), np.zeros(len(model.cells))
        for c, (site, sub, _) in enumerate(model.cells):
            if sub in labels:
                idx[c], w[c] = labels.index(sub), pw[c]
            elif site in labels:
                idx[c], w[c] = labels.index(site), pw[c] * mix.get(sub, 0.0)
        return idx, w

    def procedure_evidence(self, table, target_prior=None):
        """Every procedure the model reads as evidence, with the log-likelihood of its result.

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

        model = self.cells().model
        idx, w = self.label_cells(target_prior)
        L = len(self.labels_)
        with np.errstate(divide="ignore"):
            logw = np.log(w)
        onehot = np.zeros((len(w), L))
        onehot[idx >= 0, idx[idx >= 0]] = 1.0
        joint = np.zeros((n, len(w)))  # log P(results so far | cell)
        before = _per_label(np.broadcast_to(logw, (n, len(w))), onehot)  # log of each label's weight
        terms = np.zeros((n, len(fields), L))
        for j, f in enumerate(fields):
            logP = floored_log(procedure_table(model, f))  # (cells, values); never -inf
            done = codes[f] >= 0
            if not done.any():
                continue  # its terms stay 0
            joint[done] += logP[:, codes[f][done]].T
            now = _per_label(joint + logw, onehot)
            with np.errstate(invalid="ignore"):
                terms[:, j, :] = np.where(np.isfinite(before), now - before, 0.0)  # a label without cells: 0
            before = now
        return fields, terms

    def _fit_sets(self, margins, y, n_fields, table):
        """Refit the conformal sets on the held-out cases ``table`` (margins, label indices ``y``,
        informative-field counts) with the procedures they record read as evidence, as scoring
        reads them (:meth:`procedure_evidence`), once the cells are fitted: the sets' thresholds
        come from the probabilities the model shows. Nothing to do when no held-out case records
        a procedure the model reads that way. Called by ``SiteModel._finish_fit`` after the advice's cells."""
        evidence = evidence_sum(self.procedure_evidence(as_canonical(table), "training"))
        if evidence is None:
            return self
        proba = np.exp(log_softmax(self.calibrator_.log_proba(margins) + evidence))
        self.conformal_ = ConformalSets().fit(
            proba, np.asarray(y, dtype=int), label_site=self.label_site_, n_fields=n_fields
        )
        return self


def _per_label(z: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """(n, labels) log of the sum over each label's cells of exp(z) (n, cells) (-inf for none)."""
    out = np.full((len(z), onehot.shape[1]), -np.inf)
    for k in range(onehot.shape[1]):
        cols = np.flatnonzero(onehot[:, k] > 0)
        if len(cols):
            out[:, k] = logsumexp(z[:, cols], axis=1)
    return out
