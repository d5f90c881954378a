"""What a model reads of a case, and what its setting assumes: the fields its classifier reads, the
procedures it reads as evidence from its cells (:mod:`netorigin.estimator._cells`), and the
procedures a setting assumes negative.

A setting that assumes procedures negative (the unknown-primary setting: routine imaging and
endoscopy found nothing) has them in its site mix: their recorded negatives are taken out of the
case (netorigin.literature.apply_setting) and never counted twice.
"""

from __future__ import annotations

from .._runtime import check_is_fitted
from ..contract import FIELDS, PROCEDURE_FIELDS
from ..literature import bundled_assumptions


class SettingReads:
    """Mixed into :class:`~netorigin.estimator.SiteModel`."""

    def assumed_negative(self, target_prior=None) -> tuple[str, ...]:
        """The procedures a setting assumes negative.

        Their recorded negatives are the setting's own, never counted twice.

        Parameters
        ----------
        target_prior : str or None
            The setting (None: the model's own deployment prior).

        Returns
        -------
        tuple of str
            The procedure fields the setting holds done and negative.
        """
        return bundled_assumptions(self.prior_name(target_prior))

    def unread_fields(self) -> tuple[str, ...]:
        """The procedures this model does not read.

        All of them for a model trained before procedures were part of the case: recorded, they say
        nothing to it.

        Returns
        -------
        tuple of str
            The procedure fields outside :meth:`fields_read`.
        """
        known = self.fields_read()
        return tuple(f for f in PROCEDURE_FIELDS if f not in known)

    def fields_read(self) -> frozenset:
        """The contract fields the model reads.

        Its classifier's, and the procedures it reads as evidence from its cells. A field outside it (a
        procedure, for a model trained before procedures existed) is not used, and scoring says so.

        Returns
        -------
        frozenset of str
            The fields read.
        """
        return self.classifier_fields() | frozenset(self.evidence_fields())

    def classifier_fields(self) -> frozenset:
        """The contract fields the classifier itself reads.

        Returns
        -------
        frozenset of str
            Its features' fields or, for a kind that reads the case table, what its cells know.
        """
        check_is_fitted(self, "_parts")
        features, clf = self._parts
        if features is not None:
            return frozenset(features.feature_fields_)
        reads = getattr(clf.estimator_, "fields_read", None)
        return frozenset(reads()) if reads is not None else frozenset(FIELDS)
