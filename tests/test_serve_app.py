"""The web application in process (Starlette's test client, no socket): what a careless or hostile
client sends is refused by name, never dropped, re-read or answered with a traceback."""

import json

import pytest

pytest.importorskip("httpx2")
from starlette.testclient import TestClient  # noqa: E402

from netorigin.app._serve import create_app  # noqa: E402

CASE = {"case_id": "secret-case-7", "ihc_cdx2": "positive", "mesenteric_mass": "yes"}


@pytest.fixture(scope="module")
def client(default_model):
    return TestClient(create_app(default_model), raise_server_exceptions=False)


def _json(client, body, **headers):
    return client.post("/api/score", content=body, headers={"Content-Type": "application/json", **headers})


def test_a_case_posted_as_multipart_is_refused_not_scored_as_an_empty_case(client):
    r = client.post("/api/score", files={"ihc_cdx2": (None, "positive")})
    assert r.status_code == 422 and "multipart/form-data" in r.json()["error"]
    r = client.post("/score", files={"ihc_cdx2": (None, "positive")})
    assert r.status_code == 422 and "multipart/form-data" in r.text and "Not scored" in r.text


@pytest.mark.parametrize(
    "body, named",
    [
        (json.dumps({"cdx2_ihc": "pos"}), "cdx2_ihc.*ihc_cdx2"),  # a field under another name
        (json.dumps({"ihc_cdx2": "pos", "notes": "x"}), "notes.*not a field"),
        ('{"case_id": "\\ud800"}', "surrogate"),
        ('{"\\udfff": "x"}', "surrogate"),
        (json.dumps({"case_id": "abc\u202edcba"}), "invisible"),
    ],
)
def test_the_api_refuses_by_name_what_it_cannot_use(client, body, named):
    import re

    r = _json(client, body)
    assert r.status_code == 422, r.text
    assert re.search(named, r.json()["error"]), r.json()["error"]


def test_the_form_refuses_bad_utf8_unknown_options_and_pairs_without_a_value(client):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = client.post("/score", content=b"case_id=ab%ff%fe&ihc_cdx2=positive", headers=form)
    assert r.status_code == 422 and "case_id: the value is not UTF-8" in r.text
    assert "\ufffd" not in r.text
    r = client.post("/score", content=b"option_bogus=1&ihc_cdx2=positive", headers=form)
    assert r.status_code == 422 and "option_bogus" in r.text
    r = client.post("/score", content=b"ihc_cdx2", headers=form)
    assert r.status_code == 422 and "name=value" in r.text
    r = client.post("/score", content=b"ihc_cdx2=positive&cdx2_ihc=pos", headers=form)
    assert r.status_code == 422 and "cdx2_ihc" in r.text


def test_the_page_offers_no_page_that_needs_the_internet(client):
    assert client.get("/docs").status_code == 404
    assert client.get("/openapi.json").status_code == 200


def test_the_form_preselects_the_servers_own_prior_and_level(default_model):
    app = create_app(default_model, target_prior="1,2,3", coverage=0.95)
    page = TestClient(app).get("/").text
    assert "<option value='1,2,3' selected>" in page
    assert "<option value='0.95' selected>95%</option>" in page
    rep = TestClient(app).post("/api/score", json=CASE).json()
    assert rep["target_prior"] == "1,2,3" and rep["coverage"] == 0.95


def test_endless_custom_priors_keep_the_per_prior_state_bounded(client, default_model):
    from netorigin.estimator._prior import CACHE_SIZE

    for k in range(80):
        r = _json(client, json.dumps({"case": CASE, "target_prior": f"{k + 1},1,1", "coverage": 0.5 + k / 200}))
        assert r.status_code == 200
    assert len(default_model.prior_._cache) <= CACHE_SIZE
    assert len(default_model.conformal_._cache) <= CACHE_SIZE


def test_serve_refuses_a_bad_prior_a_port_in_use_and_a_bad_host_before_saying_it_started():
    import socket

    from click.testing import CliRunner

    from netorigin.cli import main

    r = CliRunner().invoke(main, ["serve", "--target-prior", "bogus"])
    assert r.exit_code == 2 and "bogus" in r.output and "on http://" not in r.output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        r = CliRunner().invoke(main, ["serve", "--port", str(port)])
    assert r.exit_code == 2 and "cannot listen there" in r.output and "on http://" not in r.output
    r = CliRunner().invoke(main, ["serve", "--host", "256.0.0.1", "--port", "8123"])
    assert r.exit_code == 2 and "256.0.0.1" in r.output and "on http://" not in r.output
