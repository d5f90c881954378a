"""One pass of the model over cases: the classifier's input and margins, the probabilities under a
setting, and the reasons (:class:`Passes`, a part of :class:`~netorigin.estimator.SiteModel`)."""

from __future__ import annotations

import numpy as np

from .._math import log_softmax, safe_log
from .._runtime import check_is_fitted, sorted_unique
from ..contract import as_canonical, site_sums
from ..literature import apply_setting
from ..models import get_kind
from ._explain import Explanation, make_explanation
from ._forward import Forward, evidence_sum


class Passes:
    """The prediction methods of :class:`~netorigin.estimator.SiteModel`."""

    def _transform(self, X):
        """The classifier's input for ``X``: the feature matrix, or the canonical table for kinds
        that read it."""
        check_is_fitted(self, "_parts")
        table = as_canonical(X)
        return table if self._parts[0] is None else self._parts[0].transform(table)

    def _transform_edited(self, table, edited_from, taken, assumed):
        """The classifier's input for the settled ``table``: edits of the cases whose input is
        ``edited_from[0]``, changed where ``edited_from[2]`` says (field -> rows) and where the setting
        took a negative (``taken`` of the fields ``assumed`` it holds): only those values built again
        when the features can (the same values as :meth:`_transform`)."""
        features = self._parts[0]
        if len(edited_from) < 3 or features is None or not hasattr(features, "transform_edited"):
            return self._transform(table)
        changed = dict(edited_from[2])
        for j, f in enumerate(assumed):
            if taken[:, j].any():
                rows = np.flatnonzero(taken[:, j])
                changed[f] = sorted_unique(np.concatenate([changed[f], rows])) if f in changed else rows
        return features.transform_edited(table, edited_from[0], changed)

    def _label_margins(self, X) -> np.ndarray:
        """(n_cases, n_labels) the classifier's uncalibrated margins (log-odds scale) over ``labels_``:
        what calibration, reasons and the sets start from (``forward(X).margins`` for cases a
        setting does not change)."""
        return self._parts[1].label_margins(self._transform(X))

    def forward(self, X, *, target_prior=None, reasons: bool = False, edited_from=None) -> Forward:
        """Everything one pass of the model gives for the cases of ``X``.

        Margins and probabilities over ``labels_``, the site probabilities (in the contract's order,
        ``netorigin.SITES``: ileal, pancreatic, other), and with ``reasons`` each field's term
        (:class:`~netorigin.estimator.Explanation`); sets and other priors from the same pass
        (:meth:`Forward.sets`, :meth:`Forward.proba_under`).

        Parameters
        ----------
        X : DataFrame
            Cases in the contract.
        target_prior : str or None
            The deployment prior (None: the model's own; ``"training"``: the training mix; a scenario
            name; ``a,b,c``).
        reasons : bool
            Whether to compute each field's term.
        edited_from : tuple or None
            ``(Xt, margins)`` of the cases ``X`` are edits of (a few values changed; a classifier that
            can starts from them), optionally with where they were edited (field -> rows: then only
            those values' features are built again).

        Returns
        -------
        Forward
            The pass.
        """
        check_is_fitted(self, "_parts")
        raw = as_canonical(X)
        # the one place a setting's assumptions meet a case: a recorded negative it already holds
        # is not counted again (netorigin.literature.apply_setting)
        assumed = self.prior_.assumed_negative(target_prior)
        table, taken = apply_setting(raw, assumed)
        if edited_from is None:
            Xt = self._transform(table)
        else:
            Xt = self._transform_edited(table, edited_from, taken, [f for f in assumed if f in raw.columns])
        terms = self._margin_terms(Xt) if reasons else None
        # the same margins with or without reasons (the explanation's base absorbs the rounding)
        clf = self._parts[1]
        margins = clf.label_margins(Xt) if edited_from is None else clf.label_margins_edited(Xt, *edited_from[:2])
        evidence = self.cells_.procedure_evidence(table, target_prior)  # procedures, from the model's cells
        label_proba = self._label_proba(margins, target_prior, evidence=evidence_sum(evidence))
        return Forward(
            model=self,
            table=table,
            margins=margins,
            label_proba=label_proba,
            proba=site_sums(label_proba, self.label_site_),
            target_prior=self.prior_.name(target_prior),
            prior_spec=target_prior,
            margin_terms=terms,
            explanation=self._explanation(margins, terms, target_prior, evidence) if terms is not None else None,
            raw_table=raw,
            assumed=self.prior_.assumed_negative(target_prior),
            taken=taken,
            inputs=Xt,
            evidence=evidence,
        )

    def explain(self, X, *, target_prior=None) -> Explanation | None:
        """Each field's term, and the baseline, calibration and prior terms.

        On the clr scale of the site probabilities shown under ``target_prior``; they add up to it
        exactly. The site axis is in the contract's order (``Explanation.sites``), as in the reports.

        Parameters
        ----------
        X : DataFrame
            Cases in the contract.
        target_prior : str or None
            The deployment prior (None: the model's own; ``"training"``: the training mix; a scenario
            name; ``a,b,c``).

        Returns
        -------
        Explanation or None
            The terms; None for kinds without an exact explainer.
        """
        return self.forward(X, target_prior=target_prior, reasons=True).explanation

    def _label_proba(self, margins, target_prior=None, calibrated: bool = True, evidence=None) -> np.ndarray:
        # the log-probabilities go along: a prior with a huge ratio re-weights in logs where needed
        log_p = self.calibrator_.log_proba(margins) if calibrated else log_softmax(margins)
        if evidence is not None:  # the procedures' log-likelihoods (netorigin.estimator._cells)
            log_p = log_softmax(log_p + evidence)
        return self.prior_.transform(np.exp(log_p), target_prior, log_proba=log_p)

    def _margin_terms(self, Xt):
        """(fields, contributions (n, fields, labels), base (n, labels)) on the margin scale, or
        None for kinds without an exact explainer."""
        explainer = get_kind(self.kind).explain
        if explainer is None:
            return None
        features, clf = self._parts
        return explainer(clf.estimator_, Xt, None if features is None else features.feature_fields_)

    def _explanation(self, margins, terms, target_prior, evidence=None) -> Explanation:
        fields, contrib, _ = terms
        # anchored on the margins the probabilities come from: the base absorbs the float32
        # rounding between an explainer's contributions and the classifier's own prediction
        base = margins - contrib.sum(axis=1)
        rho = safe_log(self.prior_.weights(target_prior))
        cal = self.calibrator_
        if evidence is not None:  # each procedure's log-likelihood is its term (after calibration)
            fields = [*fields, *evidence[0]]
            contrib = np.concatenate([contrib, evidence[1] * np.asarray(cal.temperature_, dtype=float)], axis=1)
        return make_explanation(fields, base, contrib, cal.temperature_, cal.bias_, rho, self.label_site_)
