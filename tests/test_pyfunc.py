"""The MLflow pyfunc's answer, in process: every row answered in the order sent (a bad value says
why, in its own row), requests that cannot be read as cases refused whole, no bare NaN."""

import io
import json

import numpy as np
import pandas as pd
import pytest

from netorigin.exceptions import InputError

pytest.importorskip("mlflow")
from netorigin.training._pyfunc_model import answer, request_table  # noqa: E402


def test_a_bad_value_is_answered_in_its_own_row_and_the_others_are_scored(default_model):
    raw = pd.DataFrame(
        {
            "case_id": ["a", "b", "c"],
            "ihc_cdx2": ["pos", "maybe", "negative"],
            "differentiation": ["well", "well", "poor"],
        }
    )
    out = answer(default_model, request_table(raw), {})
    assert list(out["case_id"]) == ["a", "b", "c"]
    assert out.loc[0, "status"] == "scored"
    assert (
        out.loc[1, "status"].startswith("not scored: invalid input:")
        and "CDX2 (ihc_cdx2): 'maybe'" in out.loc[1, "status"]
    )
    assert out.loc[2, "status"].startswith("not scored: outside the intended use")
    assert np.isnan(out.loc[1, "p_ileal"]) and np.isnan(out.loc[2, "p_ileal"])
    assert out.loc[1, "top_site"] is None  # blank text is None, never a NaN


def test_a_csv_row_longer_than_the_header_is_refused_not_shifted():
    """pandas reads a long row's first value as a row label and shifts the rest (MLflow's server no
    longer reads CSV with pandas for netorigin, but a caller's own pd.read_csv still does)."""
    frame = pd.read_csv(io.StringIO("case_id,ihc_cdx2\nX1,positive,extra\nX2,negative\n"))
    with pytest.raises(InputError, match="longer than its header"):
        request_table(frame)


@pytest.mark.parametrize("body", ["case_id,ihc_cdx2\n007,positive\n", "case_id,ihc_cdx2\n1e3,positive\n"])
def test_identifiers_the_csv_reader_turned_into_numbers_are_refused(body):
    with pytest.raises(InputError, match="case_id: arrived as numbers"):
        request_table(pd.read_csv(io.StringIO(body)))


def test_json_identifiers_are_kept_as_written(default_model):
    out = answer(default_model, request_table(pd.DataFrame({"case_id": ["007", "1e3"], "ihc_cdx2": ["pos", None]})), {})
    assert list(out["case_id"]) == ["007", "1e3"]


@pytest.mark.parametrize(
    "frame, named",
    [
        (pd.DataFrame({"case_id": pd.Series([], dtype=object)}), "no cases"),
        (pd.DataFrame([["a", "pos", "neg"]], columns=["case_id", "ihc_cdx2", "ihc_cdx2"]), "appear more than once"),
    ],
)
def test_requests_that_are_not_cases_are_refused_whole(frame, named):
    with pytest.raises(InputError, match=named):
        request_table(frame)


def test_a_nested_value_and_a_field_under_another_name_are_refused_by_name(default_model):
    deep: object = "x"
    for _ in range(5000):
        deep = {"a": deep}
    out = answer(default_model, request_table(pd.DataFrame({"case_id": ["a", "b"], "ihc_cdx2": [deep, "pos"]})), {})
    assert "ihc_cdx2" in out.loc[0, "status"] and "single value" in out.loc[0, "status"]
    assert out.loc[1, "status"] == "scored"
    from netorigin.exceptions import ValidationError

    with pytest.raises(ValidationError, match="cdx2_ihc.*ihc_cdx2"):
        answer(default_model, request_table(pd.DataFrame({"cdx2_ihc": ["pos"]})), {})


def test_every_row_is_answered_in_order_when_several_are_bad(default_model):
    raw = pd.DataFrame(
        {"case_id": [f"c{i}" for i in range(8)], "age_years": ["61", "x", "40", "500", "55", "", "70", "-1"]}
    )
    out = answer(default_model, request_table(raw), {})
    assert list(out["case_id"]) == list(raw["case_id"])
    assert [s == "scored" for s in out["status"]] == [True, False, True, False, True, True, True, False]
    assert np.allclose(
        out.loc[out["status"] == "scored", ["p_ileal", "p_pancreatic", "p_other"]].to_numpy(dtype=float).sum(axis=1), 1
    )


def test_a_request_whose_every_row_is_bad_is_answered_row_by_row(default_model):
    out = answer(default_model, request_table(pd.DataFrame({"ihc_cdx2": ["maybe", "x"]})), {})
    assert list(out["case_id"]) == ["row-1", "row-2"]
    assert all(s.startswith("not scored: invalid input: ") for s in out["status"])
    assert out.loc[0, "model_bundle"] == default_model.identity_.bundle_hash and out.loc[0, "notice"]


# --------------------------------------------------------------------------- the answer as numbers
def _mixed_answer(model):
    """Three rows: scored, refused (a bad value), outside the intended use."""
    raw = pd.DataFrame({"ihc_cdx2": ["pos", "maybe", "neg"], "differentiation": ["well", "well", "poor"]})
    return answer(model, request_table(raw), {})


def test_probabilities_are_float64_columns_that_pandas_sees_as_numbers(default_model):
    out = _mixed_answer(default_model)
    p = [c for c in out.columns if c.startswith("p_")]
    assert len(p) > 3 and all(out[c].dtype == np.float64 for c in p)  # the sites and the sub-sites
    assert list(out.select_dtypes("number").columns) == p
    assert list(out.describe().columns) == p and out.describe().loc["count", "p_ileal"] == 1
    assert not np.isnan(out.loc[0, p].to_numpy(dtype=float)).any()
    assert np.isnan(out.loc[1:, p].to_numpy(dtype=float)).all()  # NaN where a row is not scored
    assert [s.split(":")[0] for s in out["status"]] == ["scored", "not scored", "not scored"]
    text = out.drop(columns=p)
    assert all(d == np.dtype(object) for d in text.dtypes)
    assert all(v is None or isinstance(v, str) for v in text.to_numpy().ravel())  # text or None, never NaN


def test_an_answer_has_the_same_columns_and_types_whatever_was_refused(default_model):
    """A request whose every row is refused answers with the columns a scored one has."""
    scored = _mixed_answer(default_model)
    refused = answer(default_model, request_table(pd.DataFrame({"ihc_cdx2": ["maybe", "x"]})), {})
    assert list(refused.columns) == list(scored.columns)
    assert dict(refused.dtypes) == dict(scored.dtypes)


def test_the_logged_signature_describes_the_answer(default_model, served_default_model):
    """The signature logged with the model (the one --register logs) says what predict returns:
    the same columns, the probabilities as doubles, no input schema (see netorigin/training/_serving.py)."""
    from mlflow.models import infer_signature
    from mlflow.types.schema import DataType

    from netorigin.training._serving import signature

    inferred = infer_signature(model_output=_mixed_answer(default_model)).outputs
    logged = served_default_model[0].metadata.signature
    assert logged.inputs is None and logged.outputs == signature(default_model.labels_).outputs
    assert [(c.name, c.type) for c in logged.outputs.inputs] == [(c.name, c.type) for c in inferred.inputs]
    assert {c.name for c in logged.outputs.inputs if c.type == DataType.double} == {
        c for c in _mixed_answer(default_model).columns if c.startswith("p_")
    }


def test_mlflow_serving_answers_strict_json_with_null_for_a_blank_probability(served_default_model):
    _, post = served_default_model  # its JSON reader refuses a bare NaN
    status, ans = post(b"case_id,ihc_cdx2\nA,pos\nB,maybe\n", "text/csv")
    assert status == 200 and ans["predictions"][1]["p_ileal"] is None and ans["predictions"][0]["p_ileal"] > 0


# --------------------------------------------------------------------------- what a request may be
@pytest.mark.parametrize(
    "request_",
    [
        [{"case_id": np.array("A"), "ihc_cdx2": np.array("pos")}],  # MLflow's `inputs` records: 0-d arrays
        {"case_id": np.array(["A"]), "ihc_cdx2": np.array(["pos"])},  # columns
        {"case_id": "A", "ihc_cdx2": "pos"},  # one case
        pd.DataFrame({"ihc_cdx2": ["pos"]}, index=pd.Index(["A"], name="case_id")),  # case ids as the index
    ],
    ids=["records of 0-d arrays", "columns", "one case", "case_id index"],
)
def test_every_shape_of_request_keeps_every_value(default_model, request_):
    out = answer(default_model, request_table(request_), {})
    ref = answer(default_model, request_table(pd.DataFrame({"case_id": ["A"], "ihc_cdx2": ["pos"]})), {})
    pd.testing.assert_frame_equal(out, ref)


@pytest.mark.parametrize(
    "request_, named",
    [
        (np.array([["A", "pos"]]), "without field names"),
        ([["A", "pos"]], "without field names"),
        (pd.DataFrame({"ihc_cdx2": ["pos", "neg"]}, index=[5, 6]), "labels of their own"),
        ({"ihc_cdx2": ["pos", "neg"], "grade": ["G1"]}, "different numbers of values"),
    ],
)
def test_values_that_cannot_be_read_as_cases_are_refused(request_, named):
    with pytest.raises(InputError, match=named):
        request_table(request_)


def test_a_column_that_is_not_a_field_is_refused_as_the_json_api_refuses_it(default_model):
    from netorigin.exceptions import ValidationError

    with pytest.raises(ValidationError, match="'treatment' is not a field of the case contract"):
        answer(default_model, request_table(pd.DataFrame({"ihc_cdx2": ["pos"], "treatment": ["octreotide"]})), {})


# --------------------------------------------------------------------------- requests through MLflow's server
@pytest.mark.parametrize(
    "body, content_type, named",
    [
        (b"ihc_cdx2,grade\npos,G1\nneg\n", "text/csv", "do not have the header's 2 fields"),  # short row
        (b"ihc_cdx2,grade\npos,G1,x\n", "text/csv", "do not have the header's 2 fields"),  # long row
        (b'ihc_cdx2,grade\n"pos,G1\n', "text/csv", "unbalanced quote"),
        (b"ihc_cdx2,ihc_cdx2\npos,neg\n", "text/csv", "appear more than once"),  # pandas: ihc_cdx2.1
        (b'{"dataframe_records": [{"ihc_cdx2": "pos", "ihc_cdx2": "neg"}]}', "application/json", "appears twice"),
        (
            b'{"dataframe_split": {"columns": ["ihc_cdx2", "grade"], "data": [["pos", "G1"], ["neg"]]}}',
            "application/json",
            "row 2 has 1 value",
        ),
        (b'{"dataframe_split": {"data": [["pos"]]}}', "application/json", "no columns"),
        (b'{"instances": [["pos", "G1"]]}', "application/json", "not a bare list"),
        (b'{"inputs": {"ihc_cdx2": ["pos", "neg"], "grade": ["G1"]}}', "application/json", "one value per case"),
        (b'{"dataframe_records": [["pos"]]}', "application/json", "record 1 is not a mapping"),
    ],
)
def test_mlflow_serving_refuses_what_the_command_line_refuses(served_default_model, body, content_type, named):
    _, post = served_default_model
    status, ans = post(body, content_type)
    assert status == 400 and named in ans["message"], ans
    assert "Failed to predict data" not in ans["message"]  # netorigin's message, not a copy of the request


def test_instances_records_with_different_keys_read_as_records(served_default_model):
    """MLflow turns `instances` records into one array per key: two cases with different keys would
    be merged into one row; they are read as records (an absent key is not done), as sent."""

    _, post = served_default_model
    cases = [{"case_id": "A", "ihc_cdx2": "pos"}, {"case_id": "B", "grade": "G1"}]
    _, by_instances = post(json.dumps({"instances": cases}), "application/json")
    _, by_records = post(json.dumps({"dataframe_records": cases}), "application/json")
    assert [r["case_id"] for r in by_instances["predictions"]] == ["A", "B"]
    assert by_instances == by_records


def test_another_models_requests_are_left_to_mlflow(served_default_model, tmp_path):
    """Only a netorigin model's requests are read by netorigin: another model served in the same
    process still gets MLflow's own parsing."""

    import mlflow
    from mlflow.pyfunc import scoring_server

    assert scoring_server.invocations.netorigin_reads_requests
    with pytest.warns(UserWarning, match="type hints"):  # MLflow's advice, when the class is made

        class Echo(mlflow.pyfunc.PythonModel):
            def predict(self, context, model_input, params=None):
                return model_input.astype(object).where(model_input.notna(), None)

    folder = tmp_path / "echo"
    mlflow.pyfunc.save_model(str(folder), python_model=Echo())
    echo = mlflow.pyfunc.load_model(str(folder))
    r = scoring_server.invocations("a\nNone\n", "text/csv", echo, None)
    assert json.loads(r.response)["predictions"] == [{"a": None}]  # pandas read None as missing
