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


def _spec_of(client):
    spec = client.get("/openapi.json").json()
    return spec, spec["components"]["schemas"]


def test_the_openapi_description_names_every_contract_field_with_its_values(client):
    """The request body is described by models built from the contract: every field, with its
    canonical values (categories) or its range (numbers), its words and its unit."""
    from netorigin.contract import FIELDS

    spec, schemas = _spec_of(client)
    body = spec["paths"]["/api/score"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"anyOf": [{"$ref": "#/components/schemas/Case"}, {"$ref": "#/components/schemas/ScoreRequest"}]}
    case = schemas["Case"]
    assert list(case["properties"]) == list(FIELDS) and case["additionalProperties"] is False
    for name, f in FIELDS.items():
        prop = case["properties"][name]
        assert f.description in prop["description"] and (f.unit or "") in prop["description"], name
        branches = {b.get("type"): b for b in prop["anyOf"]}
        assert "null" in branches, name  # absent or null: not done
        if f.kind == "category":
            assert branches["string"]["enum"] == list(f.allowed), name
        elif f.kind == "number":
            low = "exclusiveMinimum" if f.exclusive_minimum else "minimum"
            assert branches["number"].get(low) == f.minimum and branches["number"].get("maximum") == f.maximum, name
    assert "^expr_[A-Za-z0-9][A-Za-z0-9._-]*$" in case["patternProperties"]  # any other gene
    options = schemas["ScoreRequest"]
    assert set(options["properties"]) == {"case", "target_prior", "coverage", "score_anyway"}
    assert options["additionalProperties"] is False and options["required"] == ["case"]
    assert options["properties"]["coverage"]["anyOf"][0] == {"type": "number", "minimum": 0.5, "maximum": 0.99}
    answer = spec["paths"]["/api/score"]["post"]["responses"]["422"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/ErrorAnswer"} and "error" in schemas["ErrorAnswer"]["properties"]


@pytest.mark.parametrize(
    "body, accepted, named",
    [
        ({"ihc_cdx2": "positive", "age_years": 61, "expr_foxa2": 4.5}, True, None),
        ({"case": {"sex": "female", "grade": "G2"}, "coverage": 0.8, "score_anyway": False}, True, None),
        ({"ihc_cdx2": "positive", "colour": "red"}, False, "'colour' is not a field of the case contract"),
        ({"case": {"ihc_cdx2": "positive"}, "colour": "red"}, False, "'colour' is not an option"),
        ({"case": {"ihc_cdx2": "positive"}, "score_anyway": 1}, False, "score_anyway: 1 is not true or false"),
        ({"case": {"ihc_cdx2": "positive"}, "coverage": 0.2}, False, "coverage: 0.2 is not a number between"),
        ({"grade": "G4"}, False, "grade: 'G4' is not one of G1, G2, G3"),
        ({"ki67_percent": -1}, False, "ki67_percent\\): -1 is not a number from 0 to 100"),
    ],
)
def test_the_server_accepts_what_its_description_accepts_and_names_what_it_refuses(client, body, accepted, named):
    """A body that the OpenAPI description admits (checked with jsonschema) is scored; one it does
    not is refused with a 422 that names the key or the value (the server also reads synonyms,
    which the description leaves to netorigin schema)."""
    import re

    jsonschema = pytest.importorskip("jsonschema")
    spec, schemas = _spec_of(client)
    body_schema = spec["paths"]["/api/score"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    validator = jsonschema.Draft202012Validator({**body_schema, "components": spec["components"]})
    assert validator.is_valid(body) is accepted, list(validator.iter_errors(body))
    r = _json(client, json.dumps(body))
    assert (r.status_code == 200) is accepted, r.text
    if named:
        assert re.search(named, r.json()["error"]), r.json()["error"]


def test_the_case_model_is_the_contract_read_by_the_contract(default_model):
    """The case model holds the contract's canonical values (synonyms, units and names in any case
    read by the contract's own validation), and the contract's notices for scoring."""
    from netorigin.app._requests import case_model

    case = case_model().model_validate({"IHC_CDX2": "pos", "sex": "F", "largest_liver_lesion_cm": "35 mm"})
    assert (case.ihc_cdx2, case.sex, case.largest_liver_lesion_cm) == ("positive", "female", 3.5)
    assert case.validated.n_cases == 1 and case.grade is None
