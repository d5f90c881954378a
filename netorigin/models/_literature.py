"""The ``literature`` kind: published per-site rates and the site prior combined by Bayes' rule.

Needs no training data. Each field's likelihood given a site is the scenario-weighted mixture
of the synthetic generator's cells within that site (``data/synthetic/parameters.csv``), and
fields are combined as if independent given the site (naive Bayes). Its explanation is exact:
the log posterior odds are the log prior odds plus one log-likelihood ratio per field.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._math import logsumexp, softmax
from .._runtime import BaseEstimator, ClassifierMixin, check_is_fitted
from ..contract import SITES, as_canonical, site_sums
from ..io import data_path
from ..literature import Literature, iter_field_logliks, scenario_weights
from ._registry import ModelKind, register

if TYPE_CHECKING:
    import pandas as pd


class LiteratureSiteClassifier(ClassifierMixin, BaseEstimator):
    """Naive Bayes over contract fields from the literature parameter file.

    Parameters
    ----------
    scenario : str
        Whose site mix is the prior (and the sub-site mix within each site).
    parameters, scenarios : path or None
        Alternative parameter files; ``None`` uses the bundled ones.

    ``classes_`` are the site indices 0, 1, 2 (ileal, pancreatic, other).
    """

    def __init__(self, *, scenario="liver-met-archive", parameters=None, scenarios=None):
        self.scenario = scenario
        self.parameters = parameters
        self.scenarios = scenarios

    def fit(self, X=None, y=None):
        lit = Literature(self.parameters, self.scenarios)
        return self._setup(lit.parameters, lit.scenarios)

    def _setup(self, parameters: pd.DataFrame, scenarios: pd.DataFrame, where=None) -> LiteratureSiteClassifier:
        self.parameters_ = parameters
        self.scenarios_ = scenarios
        where = where or self.parameters or data_path("synthetic", "parameters.csv")
        self.cells_ = Literature.from_tables(parameters, scenarios, where).model
        w = scenario_weights(self.cells_, scenarios, self.scenario)
        site = self.cells_.cell_site
        by_site = site_sums(w, site)
        self.log_prior_ = np.log(by_site)
        tot = by_site[site]  # each cell's site's total
        self._within = np.where(tot > 0, w / np.where(tot > 0, tot, 1.0), 0.0)
        self.classes_ = np.arange(len(SITES))
        return self

    def fields_read(self) -> frozenset:
        """The contract fields the literature's cells read (no procedure they have no rates for)."""
        from ..literature import fields_read

        check_is_fitted(self, "cells_")
        return fields_read(self.cells_)

    def field_contributions(self, X) -> tuple[list[str], np.ndarray]:
        """(fields, array (n, n_fields, 3)): log P(field value | site) for every case and field.

        Fields not done contribute exactly 0.
        """
        check_is_fitted(self, "log_prior_")
        table = as_canonical(X)
        site = self.cells_.cell_site
        with np.errstate(divide="ignore"):
            logw = np.log(self._within)

        names, parts = [], []
        for name, L in iter_field_logliks(self.cells_, table):
            done = ~np.all(L == 0, axis=1)  # a field not done has likelihood 1 under every cell
            cols = []
            for k in range(3):
                m = site == k
                cols.append(
                    np.where(done, logsumexp(L[:, m] + logw[m][None, :], axis=1), 0.0)
                )  # the same bits alone or in a batch
            names.append(name)
            parts.append(np.column_stack(cols))
        return names, np.stack(parts, axis=1)

    def decision_function(self, X):
        _, parts = self.field_contributions(X)
        return self.log_prior_[None, :] + parts.sum(axis=1)

    def predict_proba(self, X):
        return softmax(self.decision_function(X))

    def predict(self, X):
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]


def _make(random_state=None, **params):
    return None, LiteratureSiteClassifier(**params)


def _explain(clf, table, feature_fields):
    """Exact: the log posterior odds are the log prior plus one log-likelihood per field."""
    fields, contrib = clf.field_contributions(table)
    return fields, contrib, np.tile(clf.log_prior_, (len(contrib), 1))


def _to_files(clf):
    import io as _io

    from ._registry import dump_json

    out = {}
    for name, df in (("literature/parameters.csv", clf.parameters_), ("literature/scenarios.csv", clf.scenarios_)):
        buf = _io.StringIO()
        df.to_csv(buf, index=False, lineterminator="\n")
        out[name] = buf.getvalue().encode("utf-8")
    out["literature/model.json"] = dump_json({"scenario": clf.scenario})
    return out


def _from_files(files):
    from ..literature import load_parameters, load_scenarios
    from ._registry import read_json

    scenario = read_json(files["literature/model.json"], "literature/model.json")["scenario"]
    return LiteratureSiteClassifier(scenario=scenario)._setup(
        load_parameters("literature/parameters.csv", data=files["literature/parameters.csv"]),
        load_scenarios("literature/scenarios.csv", data=files["literature/scenarios.csv"]),
        where="literature/parameters.csv",
    )


register(
    ModelKind(
        name="literature",
        summary="no training data: naive Bayes from the published per-site rates and a scenario's site prior",
        make_classifier=_make,
        explain=_explain,
        to_files=_to_files,
        from_files=_from_files,
        files=("literature/parameters.csv", "literature/scenarios.csv", "literature/model.json"),
        subsites=False,
    )
)
