"""What a model reads of a case, and what its setting assumes: the fields its classifier uses (a
model trained before procedures were part of the case does not read them) and the procedures a
setting assumes negative (netorigin.literature.apply_setting)."""

from __future__ import annotations

from .._base import check_is_fitted
from ..contract import FIELDS, PROCEDURE_FIELDS
from ..literature import bundled_assumptions


class SettingReads:
    """Mixed into :class:`~netorigin.estimator.SiteModel`."""

    def assumed_negative(self, target_prior=None) -> tuple[str, ...]:
        """The procedures the setting ``target_prior`` (None: the model's own) assumes negative:
        their recorded negatives are the setting's own, never counted twice."""
        return bundled_assumptions(self.prior_name(target_prior))

    def unread_fields(self) -> tuple[str, ...]:
        """The procedures this model does not read (all of them for a model trained before
        procedures were part of the case): recorded, they say nothing to it."""
        known = self.fields_read()
        return tuple(f for f in PROCEDURE_FIELDS if f not in known)

    def fields_read(self) -> frozenset:
        """The contract fields the classifier reads: its features' fields, or for a kind that reads
        the case table, what its cells know. A field outside it (a procedure, for a model trained
        before procedures existed) is not used, and scoring says so."""
        check_is_fitted(self, "_parts")
        features, clf = self._parts
        if features is not None:
            return frozenset(features.feature_fields_)
        reads = getattr(clf.estimator_, "fields_read", None)
        return frozenset(reads()) if reads is not None else frozenset(FIELDS)
