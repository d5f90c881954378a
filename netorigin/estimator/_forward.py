"""What one pass of the model gives (:meth:`SiteModel.forward`): the record that scoring,
explaining, advising and evaluating share, so that each computes nothing twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..contract import site_sums
from ..io import informative_counts
from ._explain import Explanation


@dataclass(frozen=True)
class Forward:
    """The cases of one pass under one deployment prior.

    Attributes
    ----------
    table : canonical cases (a table, or the NumPy columns of cases validated one by one)
    margins : ndarray (n, labels)
        The classifier's margins over ``labels_`` (the same whether or not reasons were asked).
    label_proba : ndarray (n, labels)
        Calibrated probabilities over the model's labels under the prior.
    proba : ndarray (n, 3)
        The site probabilities shown (sums of ``label_proba``), in the contract's order
        (``SITES``: ileal, pancreatic, other), as every per-site array inside the package;
        :meth:`SiteModel.predict_proba` gives them in the order of ``classes_``.
    target_prior : str
        The prior's name (``prior_spec`` as given: None for the model's own).
    margin_terms : tuple or None
        (fields, contributions (n, fields, labels), base (n, labels)) on the margin scale.
    explanation : Explanation or None
        Each field's term on the clr scale of ``proba``.
    inputs : the classifier's input (a feature matrix, or the table for kinds that read it): what an
        edit of these cases starts from.
    evidence : (fields, terms (n, fields, labels)) or None
        The recorded procedures' log-likelihoods under each label, from the model's cells
        (``SiteModel.cells_.procedure_evidence``).
    """

    model: object = field(repr=False)
    table: object = field(repr=False)
    margins: np.ndarray
    label_proba: np.ndarray
    proba: np.ndarray
    target_prior: str
    prior_spec: object = None
    margin_terms: tuple | None = field(default=None, repr=False)
    explanation: Explanation | None = None
    raw_table: object = field(default=None, repr=False)
    assumed: tuple = ()
    taken: np.ndarray | None = field(default=None, repr=False)
    inputs: object = field(default=None, repr=False)
    evidence: tuple | None = field(default=None, repr=False)

    def proba_under(self, target_prior, *, calibrated: bool = True) -> np.ndarray:
        """Site probabilities of the same cases under another prior (or uncalibrated), from the
        same margins: no new pass of the model, unless the other setting assumes other procedures
        negative, some case recorded one of them negative (it then counts, or stops counting) and
        the classifier itself reads one of them (else only their evidence is read again)."""
        m = self.model
        assumed = m.prior_.assumed_negative(target_prior)
        if self._differs(assumed):
            if (set(assumed) ^ set(self.assumed)) & m.cells_.classifier_fields:
                fwd = m.forward(self.raw_table, target_prior=target_prior)
                margins, evidence = fwd.margins, fwd.evidence
            else:  # the classifier reads none of the procedures read otherwise: the same margins
                from ..literature import apply_setting

                table = apply_setting(self.raw_table, assumed)[0]
                margins, evidence = self.margins, m.cells_.procedure_evidence(table, target_prior)
            return site_sums(m._label_proba(margins, target_prior, calibrated, evidence_sum(evidence)), m.label_site_)
        evidence = (
            evidence_sum(m.cells_.procedure_evidence(self.table, target_prior)) if self.evidence is not None else None
        )
        return site_sums(m._label_proba(self.margins, target_prior, calibrated, evidence), m.label_site_)

    def _differs(self, assumed: tuple) -> bool:
        """Whether a setting that assumes ``assumed`` negative reads some case otherwise than this pass."""
        if self.raw_table is None or set(assumed) == set(self.assumed):
            return False
        from ..contract import column_values

        changed = set(assumed) ^ set(self.assumed)
        return any((column_values(self.raw_table, f) == "negative").any() for f in changed)

    @property
    def taken_fields(self) -> list[list[str]]:
        """Per case, the procedures whose recorded negative the setting took as its own (not counted again)."""
        n = len(self.table)
        if self.taken is None or not self.assumed or not self.taken.size:
            return [[] for _ in range(n)]
        present = [f for f in self.assumed if f in self.raw_table.columns]
        return [[f for j, f in enumerate(present) if self.taken[i, j]] for i in range(n)]

    @cached_property
    def n_informative(self) -> np.ndarray:
        """How many site-informative fields each case has recorded (the sets' stratum)."""
        return informative_counts(self.table, self.model.cells_.unread_fields())

    def set_reasons(self, coverage: float = 0.9) -> np.ndarray:
        """(n, 3) why each site is in each case's set at ``coverage`` under this pass's prior
        (:meth:`~netorigin.estimator.ConformalSets.reasons`; "" when it is not)."""
        m = self.model
        return m.conformal_.reasons(
            self.label_proba, coverage, m.prior_.weights(self.prior_spec), n_fields=self.n_informative
        )

    def sets(self, coverage: float = 0.9) -> np.ndarray:
        """Boolean (n, 3) prediction sets at ``coverage`` under this pass's prior (the contract's order)."""
        return self.set_reasons(coverage) != ""


def evidence_sum(evidence) -> np.ndarray | None:
    """(n, labels) the procedures' log-likelihoods added up (None without evidence)."""
    return None if evidence is None else evidence[1].sum(axis=1)
