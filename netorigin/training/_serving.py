"""MLflow serving of the netorigin pyfunc: a request read as netorigin reads a file, the answer as
strict JSON, and the signature and arguments the model is logged (or saved) with.

MLflow's scoring server (``mlflow models serve``, and the images built from it) parses a request
before any model sees it, and loses on the way what netorigin needs to read a case as the command
line reads it (MLflow 3.17, pandas 3):

- CSV, read with ``pandas.read_csv``: None, NA, N/A, NULL, NaN, #N/A, -NaN, <NA> and a blank all
  become one empty value (the command line reads None as no, or none, and refuses #N/A, -NaN and
  <NA>); a column of numbers loses how they were written (02 -> 2, 1.0 -> 1, 007 -> 7); a short row
  is padded with blanks; a repeated column is renamed ``x.1``; a long row shifts every value.
- JSON, read with ``json.loads``: a key given twice keeps its last value, silently.
- ``dataframe_split``: a short row is padded with blanks.
- ``instances`` and ``inputs``: one NumPy array per column, so a column mixing text and numbers
  becomes text (1.0 -> "1.0"), records with different keys are refused or merged into one row,
  and ``inputs`` records arrive as 0-d arrays.

For a netorigin model, and only for one, :func:`install` has the server's ``invocations`` read the
request first with netorigin's own readers (:func:`netorigin.io.read_csv_text`, the command line's
CSV reader; :func:`netorigin.io.load_json`, the JSON API's), refusing what they refuse, and hand
MLflow the same values in a form its parsing keeps as they are: a CSV as a ``dataframe_split`` of
its text, ``instances`` and ``inputs`` as records or columns. The answer's blank probabilities (NaN
in the pyfunc's float columns) are sent as JSON null. ``tests/test_one_reading.py`` sends the same
cases through every door and checks that they are read alike.

Not covered: ``mlflow models predict -t csv`` (MLflow's command that scores a file) reads the file
with pandas itself, without the server; give it JSON.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import math
from pathlib import Path

from ..exceptions import InputError, NetoriginError

CSV, JSON = "text/csv", "application/json"
FRAME_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
_PARAMETERS = ["data", "content_type", "model", "input_schema"]  # MLflow's invocations(), 3.x


def install() -> bool:
    """Have MLflow's scoring server read netorigin's requests as netorigin reads a file (see the
    module's description). Idempotent; other models' requests are untouched. False (with a logged
    warning) when this MLflow's server is not the one this was written for."""
    from mlflow.pyfunc import scoring_server as server

    current = getattr(server, "invocations", None)
    if getattr(current, "netorigin_reads_requests", False):
        return True
    if current is None or list(inspect.signature(current).parameters) != _PARAMETERS:
        logging.getLogger(__name__).warning(
            "this MLflow's scoring server is not the one netorigin knows (mlflow.pyfunc.scoring_server."
            "invocations%s): requests are parsed by MLflow alone; send JSON records",
            "" if current is None else str(inspect.signature(current)),
        )
        return False

    @functools.wraps(current)
    def invocations(data, content_type, model, input_schema):
        if not _is_netorigin(model):
            return current(data, content_type, model, input_schema)
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

        try:
            data, content_type = read_request(data, content_type)
        except NetoriginError as e:
            raise MlflowException(str(e), error_code=INVALID_PARAMETER_VALUE) from None
        try:
            out = current(data, content_type, model, input_schema)
        except MlflowException as e:  # netorigin's message, without MLflow's copy of every case sent
            e.message = _own_message(e.message)
            raise
        if out.status == 200 and out.mimetype == JSON:
            out = out._replace(response=strict_json(out.response))
        return out

    invocations.netorigin_reads_requests = True
    server.invocations = invocations
    return True


def _own_message(message: str) -> str:
    """MLflow wraps a model's refusal as "Failed to predict data '<the whole request>'. Error: <it>"."""
    head, sep, own = str(message).partition("\nError: ")
    return own if sep and head.startswith("Failed to predict data") else message


def _is_netorigin(model) -> bool:
    try:
        return callable(getattr(model.unwrap_python_model(), "netorigin_answer", None))
    except Exception:  # noqa: BLE001 - not a python-function model: not netorigin's
        return False


def _content_type(content_type) -> tuple[str, dict]:
    parts = [p.strip() for p in str(content_type or "").split(";")]
    return parts[0].lower(), {k.strip().lower(): v.strip() for k, _, v in (p.partition("=") for p in parts[1:])}


def read_request(data, content_type) -> tuple[str | bytes, str]:
    """(body, content type) for MLflow's own parsing, holding the values of the request as
    netorigin reads them; raises :class:`~netorigin.exceptions.InputError` for what netorigin
    refuses in a file (a short or long row, an unbalanced quote, a key given twice...). A body
    MLflow refuses anyway (another charset, an unknown content type) is handed on unchanged."""
    from ..io import decode_text, load_json, read_csv_text

    mime, parameters = _content_type(content_type)
    if parameters.get("charset", "utf-8").lower() != "utf-8" or set(parameters) - {"charset"}:
        return data, content_type
    if mime not in (CSV, JSON):
        return data, content_type
    text = decode_text(data if isinstance(data, bytes) else str(data).encode("utf-8"), "request")
    if mime == CSV:
        table = read_csv_text(text, source="request")
        split = {"columns": [str(c) for c in table.columns], "data": table.to_numpy().tolist()}
        return json.dumps({"dataframe_split": split}), JSON
    body = load_json(text, "request")
    if isinstance(body, dict):
        body = _frame_request(body)
    return json.dumps(body), content_type


def _frame_request(body: dict) -> dict:
    """The request with its cases as ``dataframe_split`` or ``dataframe_records`` (checked)."""
    keys = [k for k in FRAME_KEYS if k in body]
    if len(keys) != 1:
        return body  # MLflow refuses it, in its own words
    key = keys[0]
    value = body[key]
    if key == "dataframe_split":
        _check_split(value)
        return body
    if key == "dataframe_records":
        _check_records(key, value)
        return body
    return {**{k: v for k, v in body.items() if k != key}, **_tensor_request(key, value)}


def _check_split(split) -> None:
    if not isinstance(split, dict) or not isinstance(split.get("data"), list):
        return  # MLflow refuses it
    columns = split.get("columns")
    if not isinstance(columns, list):
        raise InputError(
            "request: dataframe_split has no columns; a case's values need their field names "
            '({"columns": ["ihc_cdx2", ...], "data": [["positive", ...], ...]})'
        )
    for i, row in enumerate(split["data"], start=1):
        if not isinstance(row, list) or len(row) != len(columns):
            n = len(row) if isinstance(row, list) else 1
            raise InputError(
                f"request: dataframe_split row {i} has {n} value(s) for {len(columns)} column(s); "
                "a short or long row would be misread, so nothing is guessed"
            )


def _check_records(key: str, records) -> None:
    if not isinstance(records, list):
        return  # MLflow refuses it
    for i, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise InputError(
                f'request: {key} record {i} is not a mapping of field: value ([{{"ihc_cdx2": "positive", ...}}, ...])'
            )


def _tensor_request(key: str, value) -> dict:
    """``instances`` or ``inputs`` as ``dataframe_records`` (records, or one case as a mapping) or
    ``dataframe_split`` (a mapping of columns), which MLflow parses without converting values."""
    if isinstance(value, list) and all(isinstance(r, dict) for r in value):
        return {"dataframe_records": value}
    if isinstance(value, dict):
        columns = list(value.values())
        if columns and all(isinstance(c, list) for c in columns):
            lengths = sorted({len(c) for c in columns})
            if len(lengths) > 1:
                raise InputError(
                    f"request: {key}: the columns hold {' and '.join(map(str, lengths))} values; "
                    "one value per case in every column"
                )
            return {"dataframe_split": {"columns": list(value), "data": [list(r) for r in zip(*columns)]}}
        if not any(isinstance(c, (list, dict)) for c in columns):
            return {"dataframe_records": [value]}  # one case
    raise InputError(
        f"request: {key}: a case is a mapping of field: value, not a bare list of values; send "
        f'{{"{key}": [{{"ihc_cdx2": "positive", ...}}, ...]}}'
    )


def strict_json(text: str) -> str:
    """MLflow's answer with each NaN (a blank probability) as null: strict JSON."""
    if "NaN" not in text:
        return text
    return json.dumps(_nan_to_none(json.loads(text)), allow_nan=False)


def _nan_to_none(obj):
    if isinstance(obj, float) and math.isnan(obj):
        return None
    if isinstance(obj, dict):
        return {k: _nan_to_none(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_nan_to_none(v) for v in obj]
    return obj


# --------------------------------------------------------------------------- logging the model
def signature(labels):
    """No input schema, on purpose: MLflow would then drop every column the schema does not name
    before the model sees it (an unknown column could not be refused), read ``instances`` and
    ``inputs`` through NumPy string arrays (a JSON null arrives as the text "None", which reads as
    "no"), and refuse whole numbers for text columns; the pyfunc reads every value through the
    case contract instead. Outputs: one row per case, the probabilities as doubles (blank where a
    row is not scored), the rest as text. Params: the scoring options."""
    from mlflow.models import ModelSignature
    from mlflow.types.schema import ColSpec, ParamSchema, ParamSpec, Schema

    from ..inference import batch_columns

    out = [ColSpec("double" if c.startswith("p_") else "string", c) for c in batch_columns(labels)]
    params = ParamSchema(
        [
            ParamSpec("target_prior", "string", ""),
            ParamSpec("coverage", "double", 0.9),
            ParamSpec("score_anyway", "boolean", False),
        ]
    )
    return ModelSignature(inputs=None, outputs=Schema(out), params=params)


def synthetic_example():
    """Three synthetic cases as the input example (never a real case)."""
    import pandas as pd

    from ..literature import make_synthetic_cohort

    ex = make_synthetic_cohort(3, random_state=0, prefix="example")
    ex = ex.drop(columns=["case_id", "primary_site", "primary_site_detail"]).astype(object)
    ex = ex.where(ex.notna(), None)
    # names as plain objects: MLflow compares them with a range, which pandas 3 warns about for text
    ex.columns = pd.Index([str(c) for c in ex.columns], dtype=object)
    return ex


def pyfunc_arguments(staged, pip_requirements: list[str]) -> dict:
    """The arguments of ``mlflow.pyfunc.log_model`` / ``save_model`` for a bundle folder ``staged``
    (stored as the artifact ``bundle``): models-from-code, no pickle."""
    from ..estimator import load_bundle

    model = load_bundle(staged)
    return {
        "python_model": str(Path(__file__).with_name("_pyfunc_model.py")),
        "artifacts": {"bundle": str(staged)},
        "signature": signature(model.labels_),
        "input_example": synthetic_example(),
        "pip_requirements": pip_requirements,
    }
