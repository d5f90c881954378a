"""The MLflow pyfunc's answer, in process: every row answered in the order sent (a bad value says
why, in its own row), requests that cannot be read as cases refused whole, no bare NaN."""

import io
import json

import numpy as np
import pandas as pd
import pytest

from netorigin.exceptions import InputError

pytest.importorskip("mlflow")
from netorigin.tracking._pyfunc_model import answer, request_table  # noqa: E402


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
    assert out.loc[1, "p_ileal"] is None and out.loc[2, "p_ileal"] is None
    json.dumps(out.to_dict(orient="records"), allow_nan=False)  # strict JSON: no bare NaN anywhere


def test_a_csv_row_longer_than_the_header_is_refused_not_shifted():
    frame = pd.read_csv(io.StringIO("case_id,ihc_cdx2\nX1,positive,extra\nX2,negative\n"))
    with pytest.raises(InputError, match="more values than the header"):
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
    assert out.loc[0, "model_bundle"] == default_model.bundle_hash and out.loc[0, "notice"]
