"""The ``rules`` kind: the seed paper's clinical clues as points, a transparent baseline."""

from __future__ import annotations

import numpy as np

from .._math import softmax
from .._runtime import MAX_WEIGHT, BaseEstimator, ClassifierMixin, check_is_fitted
from ..contract import FIELDS, SITES, as_canonical, column_values, positive_value
from ..exceptions import InputError, check_stored
from ._registry import ModelKind, dump_json, group_by_field, read_json, register

# (field, value, site it points to, points on the log-odds scale). The clues are the seed
# paper's (CDX2, carcinoid syndrome, mesenteric mass -> small intestine; TTF-1 -> lung) and the
# literature's (OTP -> lung; ISL1, PAX8, ALT, DAXX/ATRX loss -> pancreas). The points are
# assumptions (2 for a clue, 3 for a nearly specific one); calibration rescales them.
DEFAULT_RULES = (
    ("ihc_cdx2", "positive", "ileal", 2.0),
    ("carcinoid_syndrome", "yes", "ileal", 2.0),
    ("mesenteric_mass", "yes", "ileal", 2.0),
    ("ihc_ttf1", "positive", "other", 3.0),
    ("ihc_otp", "positive", "other", 3.0),
    ("ihc_isl1", "positive", "pancreatic", 2.0),
    ("ihc_pax8", "positive", "pancreatic", 2.0),
    ("alt_status", "positive", "pancreatic", 3.0),
    ("ihc_daxx_atrx", positive_value("ihc_daxx_atrx"), "pancreatic", 3.0),
)


def _procedure_rules() -> tuple:
    """A procedure's primary points to the site of the place it was found: 6 points when confirmed by
    histology (all but settles it), 2 when only seen (assumed, as the clues' points are)."""
    from ..contract._fields import DETAIL_TO_SITE
    from ..contract._procedures import PLACES, PROCEDURES

    out = []
    for name, proc in PROCEDURES.items():
        for place in proc.places:
            sites = {DETAIL_TO_SITE[x] for x in PLACES[place]}
            if len(sites) == 1:
                (site,) = sites
                out += [(name, f"confirmed_{place}", site, 6.0), (name, f"seen_{place}", site, 2.0)]
    return tuple(out)


DEFAULT_RULES = DEFAULT_RULES + _procedure_rules()


class RulesSiteClassifier(ClassifierMixin, BaseEstimator):
    """Points for each clue found, per site, plus the log of the training site mix.

    Parameters
    ----------
    rules : sequence of (field, value, site, points) or None
        ``None`` uses :data:`DEFAULT_RULES`.

    ``classes_`` are the site indices 0, 1, 2 (ileal, pancreatic, other).
    """

    def __init__(self, *, rules=None):
        self.rules = rules

    def fit(self, X=None, y=None):
        rules = DEFAULT_RULES if self.rules is None else tuple(tuple(r) for r in self.rules)
        for _field, _value, s, _points in rules:
            if s not in SITES:
                raise ValueError(f"rules: site {s!r} is not one of {', '.join(SITES)}")
        self.rules_ = rules
        self.classes_ = np.arange(len(SITES))
        if y is not None:
            counts = np.bincount(np.asarray(y, dtype=int), minlength=3).astype(float)
            self.intercept_ = np.log((counts + 1) / (counts.sum() + 3))
        else:
            self.intercept_ = np.log(np.full(3, 1 / 3))
        return self

    def rule_points(self, X) -> np.ndarray:
        """(n, n_rules, 3): points each rule gives each site for every case (0 if not met)."""
        check_is_fitted(self, "rules_")
        table = as_canonical(X)
        out = np.zeros((len(table), len(self.rules_), 3))
        for j, (f, v, s, pts) in enumerate(self.rules_):
            if f in table.columns:
                hit = column_values(table, f) == v  # a table or the columns of cases validated one by one
                out[hit, j, SITES.index(s)] = pts
        return out

    def decision_function(self, X):
        return self.intercept_[None, :] + self.rule_points(X).sum(axis=1)

    def predict_proba(self, X):
        return softmax(self.decision_function(X))

    def predict(self, X):
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]


def _make(random_state=None, **params):
    return None, RulesSiteClassifier(**params)


def _explain(clf, table, feature_fields):
    """Exact: the points each rule gave, summed per field."""
    pts = clf.rule_points(table)
    fields, contrib = group_by_field(np.transpose(pts, (0, 2, 1)), [r[0] for r in clf.rules_])
    return fields, contrib, np.tile(clf.intercept_, (len(pts), 1))


def _to_files(clf):
    return {"rules.json": dump_json({"rules": [list(r) for r in clf.rules_], "intercept": clf.intercept_.tolist()})}


def _from_files(files):
    d = read_json(files["rules.json"], "rules.json")
    rules = d.get("rules") if isinstance(d, dict) else None
    if not isinstance(rules, list) or not all(isinstance(r, list) and len(r) == 4 for r in rules):
        raise InputError("rules.json: rules: expected a list of [field, value, site, points]")
    for j, (f, v, s, pts) in enumerate(rules):
        field = FIELDS.get(f) if isinstance(f, str) else None
        if field is None or v not in field.values or s not in SITES:
            raise InputError(
                f"rules.json: rules[{j}]: {[f, v, s]!r} is not a contract field, one of its values and a site"
            )
        check_stored(pts, f"rules.json: rules[{j}] points", shape=(), low=-MAX_WEIGHT, high=MAX_WEIGHT)
    clf = RulesSiteClassifier(rules=[(f, v, s, float(pts)) for f, v, s, pts in rules]).fit()
    clf.intercept_ = check_stored(
        d.get("intercept"), "rules.json: intercept", shape=(len(SITES),), low=-MAX_WEIGHT, high=MAX_WEIGHT
    )
    return clf


register(
    ModelKind(
        name="rules",
        summary="the seed paper's clues as points (CDX2, syndrome, mesenteric mass -> ileal; TTF-1, OTP -> other; ...)",
        make_classifier=_make,
        explain=_explain,
        to_files=_to_files,
        from_files=_from_files,
        files=("rules.json",),
        subsites=False,
    )
)
