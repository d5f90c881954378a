"""SiteModel as scikit-learn's tools see it: ``classes_`` sorted, every per-class array in its
order, scorers, cross-validation and grid search giving the figures computed by hand from the
probabilities by site name; the labels ``fit`` and ``score`` take; and the rest of the package
reading the sites by name, whatever the order of ``classes_``."""

import copy

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import get_scorer, roc_auc_score
from sklearn.model_selection import GridSearchCV, KFold, cross_val_predict, cross_val_score

from netorigin import SITES, SiteModel, evaluate_model, make_model, make_synthetic_cohort, score_cases
from netorigin.exceptions import InputError
from netorigin.inference import batch_table

SCORERS = ("neg_log_loss", "roc_auc_ovr", "accuracy", "balanced_accuracy", "neg_brier_score")
KIND = {"kind": "latent-class", "params": {"literature_weight": 1.0}, "cv": 3, "random_state": 0}


@pytest.fixture(scope="module")
def cohort():
    """600 labelled cases; X without its label columns, y the site names."""
    c = make_synthetic_cohort(600, scenario="liver-met-archive", random_state=3, workup="mixture")
    return c.drop(columns=["primary_site", "primary_site_detail"]), c["primary_site"].astype(object).to_numpy(), c


@pytest.fixture(scope="module")
def folds(cohort):
    X, y, _ = cohort
    return list(KFold(3, shuffle=True, random_state=0).split(X, y))


@pytest.fixture(scope="module")
def model(cohort):
    X, y, _ = cohort
    return SiteModel(**KIND).fit(X.iloc[:400], y[:400])


def by_name(model, X, **settings) -> dict:
    """The model's site probabilities by site name, as the clinician's table gives them (``p_<site>``)."""
    t = batch_table(score_cases(model, X, reasons=False, advice=False, **settings))
    return {s: t[f"p_{s}"].to_numpy() for s in SITES}


def by_hand(scoring: str, y, p: dict) -> float:
    """What each scorer measures, from the probabilities by site name and the true site names."""
    y = np.asarray(y, dtype=object)
    onehot = {s: (y == s).astype(float) for s in SITES}
    top = np.array(SITES, dtype=object)[np.argmax(np.column_stack([p[s] for s in SITES]), axis=1)]
    if scoring == "neg_log_loss":
        return float(np.mean([np.log(p[t][i]) for i, t in enumerate(y)]))
    if scoring == "roc_auc_ovr":  # macro average of one site against the rest
        return float(np.mean([roc_auc_score(onehot[s], p[s]) for s in SITES]))
    if scoring == "accuracy":
        return float(np.mean(top == y))
    if scoring == "balanced_accuracy":
        return float(np.mean([np.mean(top[y == s] == s) for s in SITES]))
    if scoring == "neg_brier_score":
        return -float(np.mean(sum((p[s] - onehot[s]) ** 2 for s in SITES)))
    raise AssertionError(scoring)


@pytest.fixture(scope="module")
def fold_probabilities(cohort, folds):
    """Each fold's held-out probabilities by site name, from a model fitted on the other folds,
    under the training mix and under the population prior."""
    X, y, _ = cohort
    out = []
    for train, test in folds:
        m = SiteModel(**KIND).fit(X.iloc[train], y[train])
        out.append({prior: by_name(m, X.iloc[test], target_prior=prior) for prior in ("training", "population")})
    return out


def test_classes_are_sorted_and_every_per_class_array_follows_them(model, cohort):
    X, _, _ = cohort
    assert list(model.classes_) == sorted(SITES) == list(np.unique(SITES))
    case = X.iloc[400:]
    p, named = model.predict_proba(case), by_name(model, case)
    for j, s in enumerate(model.classes_):
        np.testing.assert_array_equal(p[:, j], named[s])
    np.testing.assert_allclose(model.predict_log_proba(case), np.log(p), rtol=1e-12)
    d = model.decision_function(case)
    assert d.shape == p.shape and (model.classes_[d.argmax(axis=1)] == model.predict(case)).all()
    assert (model.predict(case) == model.classes_[p.argmax(axis=1)]).all()
    sets = model.predict_sets(case)
    reports = score_cases(model, case, reasons=False, advice=False)
    assert model.explain(case).sites == SITES  # the reasons name their site axis: the contract's order
    for j, s in enumerate(model.classes_):
        np.testing.assert_array_equal(sets[:, j], reports.sets[:, SITES.index(s)])


@pytest.mark.parametrize("scoring", SCORERS)
def test_each_scorer_gives_the_figure_computed_by_hand(model, cohort, scoring):
    X, y, _ = cohort
    got = get_scorer(scoring)(model, X.iloc[400:], y[400:])
    assert got == pytest.approx(by_hand(scoring, y[400:], by_name(model, X.iloc[400:])), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("scoring", SCORERS)
def test_cross_val_score_gives_the_figures_computed_by_hand(cohort, folds, fold_probabilities, scoring):
    X, y, _ = cohort
    got = cross_val_score(SiteModel(**KIND), X, y, cv=folds, scoring=scoring)
    want = [by_hand(scoring, y[test], p["training"]) for (_, test), p in zip(folds, fold_probabilities)]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_cross_val_predict_gives_each_fold_its_probabilities_in_classes_order(cohort, folds, fold_probabilities):
    X, y, _ = cohort
    proba = cross_val_predict(SiteModel(**KIND), X, y, cv=folds, method="predict_proba")
    labels = cross_val_predict(SiteModel(**KIND), X, y, cv=folds)
    for (_, test), p in zip(folds, fold_probabilities):
        for j, s in enumerate(sorted(SITES)):
            np.testing.assert_allclose(proba[test, j], p["training"][s], rtol=1e-12)
        top = np.array(SITES, dtype=object)[np.argmax(np.column_stack([p["training"][s] for s in SITES]), axis=1)]
        assert (labels[test] == top).all()


def test_grid_search_scores_every_candidate_by_hand_and_refits_the_best(cohort, folds, fold_probabilities):
    X, y, _ = cohort
    search = GridSearchCV(
        SiteModel(**KIND),
        {"target_prior": ["training", "population"]},
        cv=folds,
        scoring=["neg_log_loss", "roc_auc_ovr"],
        refit="neg_log_loss",
    ).fit(X, y)
    for i, prior in enumerate(search.cv_results_["param_target_prior"]):
        for scoring in ("neg_log_loss", "roc_auc_ovr"):
            want = np.mean([by_hand(scoring, y[test], p[prior]) for (_, test), p in zip(folds, fold_probabilities)])
            assert search.cv_results_[f"mean_test_{scoring}"][i] == pytest.approx(want, rel=1e-9)
    assert list(search.best_estimator_.classes_) == sorted(SITES)
    assert search.score(X, y) == pytest.approx(by_hand("neg_log_loss", y, by_name(search.best_estimator_, X)))


def test_each_hyper_parameter_of_the_kind_is_reachable_by_set_params():
    base = SiteModel("xgboost", params={"n_estimators": 10})
    tuned = clone(base).set_params(params__max_depth=3, cv=4)
    assert tuned.params == {"n_estimators": 10, "max_depth": 3} and tuned.cv == 4
    assert base.params == {"n_estimators": 10}  # the estimator cloned from is left as it was


def test_the_pipeline_make_model_returns_follows_the_same_conventions(cohort, folds):
    X, y, c = cohort
    m = make_model("logistic", random_state=0).fit(X.iloc[:400], y[:400])
    assert list(m.classes_) == sorted(SITES)
    p = m.predict_proba(X.iloc[400:])
    clf = m.named_steps["classifier"]
    margins = clf.label_margins(m[:-1].transform(X.iloc[400:]))  # over labels_, the package's own order
    assert list(clf.labels_) == list(SITES)
    for j, s in enumerate(m.classes_):
        np.testing.assert_allclose(m.decision_function(X.iloc[400:])[:, j], margins[:, SITES.index(s)])
    assert (m.predict(X.iloc[400:]) == m.classes_[p.argmax(axis=1)]).all()
    e = np.exp(margins - margins.max(axis=1, keepdims=True))
    by = dict(zip(clf.labels_, (e / e.sum(axis=1, keepdims=True)).T))  # by name, from the labels' own order
    for scoring in SCORERS:
        got = get_scorer(scoring)(m, X.iloc[400:], y[400:])
        assert got == pytest.approx(by_hand(scoring, y[400:], by), rel=1e-9, abs=1e-12)
    # cross_val_predict fits on LabelEncoder's codes and reads the columns in their order
    proba = cross_val_predict(make_model("logistic", random_state=0), X, y, cv=folds, method="predict_proba")
    for train, test in folds:
        np.testing.assert_allclose(
            proba[test], make_model("logistic", random_state=0).fit(X.iloc[train], y[train]).predict_proba(X.iloc[test])
        )
    # sub-site names count as their sites
    detail = c["primary_site_detail"].astype(object).to_numpy()
    np.testing.assert_array_equal(
        make_model("logistic", random_state=0).fit(X.iloc[:400], detail[:400]).predict_proba(X), m.predict_proba(X)
    )


def test_nothing_else_depends_on_the_order_of_classes(model, cohort):
    """Shuffle nothing but the order of ``classes_``: the public sklearn methods follow it, and
    every figure, report and set the package gives stays what it was."""
    X, y, _ = cohort
    case = X.iloc[400:]
    before = score_cases(model, case, advice=False)
    figures = evaluate_model(model, case, y[400:], n_bootstrap=0)
    shuffled = copy.deepcopy(model)
    shuffled.classes_ = np.array(["pancreatic", "other", "ileal"], dtype=object)
    p, named = shuffled.predict_proba(case), by_name(model, case)
    for j, s in enumerate(shuffled.classes_):
        np.testing.assert_array_equal(p[:, j], named[s])
        np.testing.assert_array_equal(shuffled.predict_sets(case)[:, j], before.sets[:, SITES.index(s)])
    assert (shuffled.predict(case) == model.predict(case)).all()
    after = score_cases(shuffled, case, advice=False)
    np.testing.assert_array_equal(after.proba, before.proba)
    np.testing.assert_array_equal(after.sets, before.sets)
    assert evaluate_model(shuffled, case, y[400:], n_bootstrap=0) == figures
    assert shuffled.score(case, y[400:]) == model.score(case, y[400:])


# ---------------------------------------------------------------- what fit, score and evaluate take
def test_fit_takes_sub_site_labels_as_training_takes_a_primary_site_detail_column(cohort):
    X, _, c = cohort
    detail = c["primary_site_detail"].astype(object).to_numpy()
    from_column = SiteModel(**KIND).fit(X.assign(primary_site_detail=detail), c["primary_site"])
    from_y = SiteModel(**KIND).fit(X, detail)
    assert from_y.level_ == "subsite" and list(from_y.labels_) == list(from_column.labels_)
    np.testing.assert_array_equal(from_y.predict_proba(X), from_column.predict_proba(X))
    np.testing.assert_array_equal(from_y.forward(X).label_proba, from_column.forward(X).label_proba)
    # the same sub-sites given twice, in X and in y, agree: the same model
    both = SiteModel(**KIND).fit(X.assign(primary_site_detail=detail), pd.Series(detail))
    np.testing.assert_array_equal(both.predict_proba(X), from_y.predict_proba(X))
    assert from_y.score(X, detail) == from_y.score(X, c["primary_site"].astype(object)) > 0.8


def test_fit_takes_sites_and_sub_sites_mixed(cohort):
    X, y, c = cohort
    mixed = np.where(np.arange(len(y)) % 2 == 0, c["primary_site_detail"].astype(object), y)
    m = SiteModel(**KIND).fit(X, mixed)
    assert m.level_ == "site"  # half the cases have no sub-site: the three sites, said in a notice
    assert any("primary_site_detail" in n.message for n in m.notices_)
    np.testing.assert_array_equal(m.predict_proba(X), SiteModel(**KIND).fit(X, y).predict_proba(X))


def test_labels_that_contradict_the_primary_site_detail_column_are_refused(cohort):
    X, y, c = cohort
    detail = c["primary_site_detail"].astype(object).to_numpy()
    wrong = detail.copy()
    i = int(np.flatnonzero(detail == "ileum")[0])
    wrong[i] = "lung"
    with pytest.raises(InputError, match=rf"y: 'lung' \(row {i + 1}\) contradicts primary_site_detail 'ileum'"):
        SiteModel(**KIND).fit(X.assign(primary_site_detail=detail), wrong)
    sites = y.copy()
    sites[i] = "pancreatic"
    with pytest.raises(InputError, match="'pancreatic'.*contradicts primary_site_detail 'ileum'"):
        SiteModel(**KIND).fit(X.assign(primary_site_detail=detail), sites)


@pytest.mark.parametrize(
    ("first", "message"),
    [
        ("liver", r"y: 'liver' is not a site \(ileal, other, pancreatic\) or a sub-site \(ileum, jejunum"),
        (None, r"y: 1 case\(s\) have no label \(row 1\)"),
        (1.5, r"y: 1.5 \(float\) is not a site"),
    ],
)
def test_labels_fit_cannot_read_are_refused_naming_them(cohort, first, message):
    X, y, _ = cohort
    with pytest.raises(InputError, match=message):
        SiteModel(**KIND).fit(X, np.array([first, *y[1:]], dtype=object))
    with pytest.raises(InputError, match="y: 599 label"):
        SiteModel(**KIND).fit(X, y[1:])


def test_integer_labels_are_indices_into_classes_as_scikit_learn_encodes_them(model, cohort):
    """cross_val_predict(method="predict_proba") fits on LabelEncoder's codes of y."""
    X, y, _ = cohort
    from sklearn.preprocessing import LabelEncoder

    codes = LabelEncoder().fit_transform(y[:400])
    np.testing.assert_array_equal(SiteModel(**KIND).fit(X.iloc[:400], codes).predict_proba(X), model.predict_proba(X))
    assert model.score(X.iloc[:400], codes) == model.score(X.iloc[:400], y[:400])
    for wrong in (np.minimum(codes, 1), np.where(codes == 0, 7, codes)):  # two sites; a number that is none
        with pytest.raises(InputError, match=r"y: integer labels are read as the index of a site in classes_"):
            SiteModel(**KIND).fit(X.iloc[:400], wrong)


def test_evaluate_model_takes_site_names_and_sub_site_names(model, cohort):
    X, y, c = cohort
    case = X.iloc[400:]
    figures = evaluate_model(model, case, y[400:], n_bootstrap=0, with_robustness=False)
    p = by_name(model, case, target_prior="training")
    assert figures["calibrated"]["accuracy"] == pytest.approx(by_hand("accuracy", y[400:], p))
    assert figures["calibrated"]["log_loss"] == pytest.approx(-by_hand("neg_log_loss", y[400:], p))
    assert figures["site_counts"] == {s: int((y[400:] == s).sum()) for s in SITES}
    detail = c["primary_site_detail"].astype(object).to_numpy()[400:]
    by_detail = evaluate_model(model, case, detail, n_bootstrap=0, with_robustness=False)
    assert by_detail["calibrated"] == figures["calibrated"]
    assert set(by_detail["conformal"]["0.90"]["coverage_by_subsite"]) == set(detail)  # the sub-sites y named
    with pytest.raises(InputError, match="y: integer labels"):
        evaluate_model(model, case, np.zeros(len(case), dtype=int), n_bootstrap=0)
    with pytest.raises(InputError, match="y: not given, and the table has no primary_site"):
        evaluate_model(model, case, n_bootstrap=0)
    # by default the table's own labels
    own = evaluate_model(model, c.iloc[400:], n_bootstrap=0, with_robustness=False)
    assert own["calibrated"] == figures["calibrated"]
