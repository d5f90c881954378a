"""Shared, seeded fixtures."""

import os

import pytest

from netorigin.literature import make_synthetic_cohort


@pytest.fixture(scope="session", autouse=True)
def _installed_package_in_use():
    """When the suite is run against an installed wheel, make sure that is what was imported."""
    expected = os.environ.get("NETORIGIN_EXPECT_INSTALLED_AT")
    if expected:
        import netorigin

        assert netorigin.__file__.startswith(expected), f"imported {netorigin.__file__}, not the wheel in {expected}"


@pytest.fixture(scope="session")
def small_cohort():
    """3,000 labelled synthetic cases (liver-metastasis archive mix), fixed seed."""
    return make_synthetic_cohort(3000, scenario="liver-met-archive", random_state=123)


@pytest.fixture(scope="session")
def small_test_cohort():
    return make_synthetic_cohort(3000, scenario="liver-met-archive", random_state=456)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """mlflow.set_tracking_uri also sets MLFLOW_TRACKING_URI; keep one test's store out of the
    next test's subprocesses (this runs before any fixture of the test is set up)."""
    os.environ.pop("MLFLOW_TRACKING_URI", None)


@pytest.fixture(scope="session")
def default_model():
    """The shipped model, loaded once for the session."""
    from netorigin.estimator import load_bundle
    from netorigin.io import default_model_path

    return load_bundle(default_model_path())


@pytest.fixture(scope="session")
def tiny_xgboost(tmp_path_factory):
    """A small sub-site xgboost model (40 rounds on 1,500 cases) and its bundle folder."""
    cohort = make_synthetic_cohort(1500, scenario="liver-met-archive", random_state=7, workup="mixture")
    return _small_xgboost_bundle(cohort, 40, tmp_path_factory.mktemp("bundles") / "tiny-xgboost")


@pytest.fixture(scope="session")
def every_detail_bundle(tmp_path_factory):
    """A small sub-site xgboost bundle trained on a cohort using every allowed primary_site_detail,
    "other" (an unnamed other sub-site) included: the names of its output columns could collide."""
    import numpy as np

    from netorigin.contract import SITE_DETAILS

    cohort = make_synthetic_cohort(2400, scenario="population", random_state=11, workup="mixture")
    detail = cohort["primary_site_detail"].astype(object).to_numpy().copy()
    other = np.flatnonzero(cohort["primary_site"].astype(object).to_numpy() == "other")
    detail[other[:60]] = "other"
    cohort["primary_site_detail"] = detail
    assert set(cohort["primary_site_detail"]) == set(SITE_DETAILS)
    return _small_xgboost_bundle(cohort, 30, tmp_path_factory.mktemp("bundles") / "every-detail")


def _small_xgboost_bundle(cohort, rounds: int, folder):
    """(model, bundle folder): xgboost with ``rounds`` rounds, 3 folds, no bootstrap, saved."""
    from netorigin.estimator import save_bundle
    from netorigin.training import train

    model = train(
        cohort,
        kind="xgboost",
        params={"n_estimators": rounds},
        random_state=0,
        n_bootstrap=0,
        with_robustness=False,
        n_splits=3,
    ).model
    save_bundle(model, folder)
    return model, folder


TINY = {  # capped, as imbalanced-learn caps its ensembles; the weight fixed (choosing it is tested in test_latent)
    "xgboost": {"n_estimators": 30},
    "mlp": {"max_iter": 200},
    "latent-class": {"literature_weight": 1.0},
    "latent-boost": {"literature_weight": 1.0, "max_rounds": 60},
}


@pytest.fixture(scope="session")
def trained_kinds(small_cohort):
    """Every registered kind trained once for the session on 1,500 cases of the small cohort (small
    ensembles, 3 folds, no bootstrap): what tests of saving, loading and scoring share. A kind is
    trained when a test first asks for it, so that a worker of ``pytest -n`` trains only the kinds
    its own tests read."""
    from collections.abc import Mapping

    from netorigin.models import MODEL_KINDS
    from netorigin.training import train

    cases = small_cohort.iloc[:1500]

    class Trainings(Mapping):
        def __init__(self):
            self._done = {}

        def __getitem__(self, kind):
            if kind not in MODEL_KINDS:
                raise KeyError(kind)
            if kind not in self._done:
                self._done[kind] = train(
                    cases, kind=kind, random_state=0, n_bootstrap=0, with_robustness=False, n_splits=3,
                    params=TINY.get(kind),
                )  # fmt: skip
            return self._done[kind]

        def __iter__(self):
            return iter(MODEL_KINDS)

        def __len__(self):
            return len(MODEL_KINDS)

    return Trainings()


@pytest.fixture(scope="session")
def served_default_model(tmp_path_factory):
    """The shipped model as the MLflow model ``--register`` logs (saved to a folder, loaded), and
    ``post(body, content_type) -> (status, answer)``: the request through MLflow's scoring server
    in process, the function `mlflow models serve` runs for ``POST /invocations`` (without HTTP)."""
    pytest.importorskip("mlflow")
    import json

    import mlflow
    from mlflow.exceptions import MlflowException
    from mlflow.pyfunc import scoring_server

    from netorigin.io import default_model_path
    from netorigin.training import save_pyfunc

    folder = save_pyfunc(default_model_path(), tmp_path_factory.mktemp("pyfunc") / "model")
    model = mlflow.pyfunc.load_model(folder)

    def refuse_nan(name):
        raise AssertionError(f"the answer holds a bare {name}: not strict JSON")

    def post(body, content_type: str):
        try:
            r = scoring_server.invocations(body, content_type, model, model.metadata.get_input_schema())
        except MlflowException as e:
            return e.get_http_status_code(), {"message": e.message}
        return r.status, json.loads(r.response, parse_constant=refuse_nan) if r.status == 200 else r.response

    return model, post
