"""MLflow models-from-code entry point: an MLflow pyfunc that loads a netorigin bundle.

Part of the tracking edge (with ``_mlflow.py`` and ``_serving.py``, the only files that import
mlflow). MLflow stores this source file and the bundle folder; loading runs this file, which reads
the bundle through netorigin's checked, pickle-free loader. Nothing is unpickled.

``predict`` takes cases in any shape MLflow hands a model (a DataFrame, records, a mapping of
columns, one case as a mapping; cells as Python or NumPy values, 0-d arrays included), reads every
value through the case contract exactly as the command line and the JSON API do (the values
themselves, never a re-spelling of them), and answers one row per case, in the order sent: the
status (scored, or why not), the probabilities as float64 columns (NaN where a row is not
scored), the sub-site breakdown, the prediction set, the top site, reasons in words, the next
test, warnings and the model's bundle hash.

A row with a value the contract refuses is answered, not dropped: its status says which field and
value and what was expected (a batch is not lost to one bad row). A request that cannot be read
as cases is refused as a whole with a message: no rows, values without field names, a column that
is not a contract field (as the JSON API refuses it), a column given twice, rows that carry an
index of their own, identifiers that arrived as numbers.

Under MLflow's scoring server, a request is read by netorigin's own readers before MLflow parses
it (``_serving.install``): a CSV keeps every cell as written.
"""

import math

import mlflow
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from netorigin.training._serving import install


def raw_value(value):
    """A cell as sent: a 0-d array or a NumPy scalar as the Python value it holds, and None for a
    missing one; anything else (text, numbers, booleans, lists) unchanged, for the contract."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    elif isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _as_frame(model_input) -> pd.DataFrame:
    """The request as a table with field names, refusing (InputError) values without them."""
    from netorigin.exceptions import InputError

    if isinstance(model_input, pd.DataFrame):
        return model_input
    if isinstance(model_input, list) and all(isinstance(r, dict) for r in model_input):
        return pd.DataFrame(model_input, dtype=object)
    if isinstance(model_input, dict):
        columns = list(model_input.values())
        if columns and all(isinstance(c, (list, tuple, pd.Series)) or np.ndim(c) == 1 for c in columns):
            if len({len(c) for c in columns}) > 1:
                raise InputError("request: the columns hold different numbers of values; one per case in each")
            return pd.DataFrame({k: list(v) for k, v in model_input.items()}, dtype=object)
        if all(np.ndim(c) == 0 for c in columns):
            return pd.DataFrame([model_input], dtype=object)  # one case
    raise InputError(
        f"request: {type(model_input).__name__} without field names; send cases as a DataFrame or as "
        'records ([{"ihc_cdx2": "positive", ...}, ...])'
    )


def _default_index(index) -> bool:
    """Whether the rows are labelled 0, 1, 2... (as MLflow's parsers and pandas label them)."""
    if isinstance(index, pd.RangeIndex):
        return index.start == 0 and index.step == 1
    return pd.api.types.is_integer_dtype(index) and bool((index.to_numpy() == np.arange(len(index))).all())


def request_table(model_input) -> pd.DataFrame:
    """The request as a table of the values sent, refusing (InputError) what cannot be read as cases."""
    from netorigin.exceptions import InputError

    frame = _as_frame(model_input)
    if len(frame) == 0:
        raise InputError("request: no cases (a header and no rows)")
    if not _default_index(frame.index):
        if frame.index.name == "case_id" and "case_id" not in frame.columns:
            frame = frame.reset_index()
        else:
            raise InputError(
                "request: the rows carry labels of their own (an index other than 0, 1, 2...): a CSV row "
                "longer than its header makes pandas read its first value as a row label and shift the "
                "rest; send the cases with a default index (DataFrame.reset_index(drop=True)), and "
                "name them in a case_id column"
            )
    names = [str(c) for c in frame.columns]
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:
        raise InputError(f"request: column(s) {', '.join(map(repr, repeated))} appear more than once")
    if "case_id" in frame.columns and pd.api.types.is_numeric_dtype(frame["case_id"]):
        raise InputError(
            "case_id: arrived as numbers, so it cannot be kept as written (a CSV reader such as pandas "
            "turns '007' into 7 and '1e3' into 1000); send case_id as text, or leave it out"
        )
    table = pd.DataFrame(
        {c: [raw_value(v) for v in frame.iloc[:, j].astype(object)] for j, c in enumerate(names)}, dtype=object
    )
    if "case_id" not in table.columns:
        table.insert(0, "case_id", [f"row-{i + 1}" for i in range(len(table))])
    return table


def answer(model, table: pd.DataFrame, params: dict) -> pd.DataFrame:
    """Score the valid rows, answer the invalid ones with why; one row per case in the order sent:
    probabilities as float64 (NaN where a row is not scored), everything else as text or None."""
    from netorigin.inference import batch_columns, score_cohort
    from netorigin.io import validate_rows

    coverage = params.get("coverage")
    target_prior, coverage = params.get("target_prior") or None, 0.9 if coverage is None else float(coverage)
    validated = validate_rows(table, source="request", unknown="refuse")
    columns = batch_columns(model.labels_)
    if validated.n_cases:
        scored = score_cohort(
            model,
            validated,
            target_prior=target_prior,
            coverage=coverage,
            score_anyway=bool(params.get("score_anyway")),
            panel=2,  # the best pair of tests, as every other output names it
        )
    else:  # every row refused
        scored = pd.DataFrame({c: pd.Series([], dtype=float if c.startswith("p_") else object) for c in columns})
    aside = validated.set_aside
    if aside is not None and len(aside):
        rows = aside["row"].to_numpy(dtype=int) - 1
        kept = np.setdiff1d(np.arange(len(table)), rows)
        refused = pd.DataFrame({c: [np.nan if c.startswith("p_") else None] * len(aside) for c in columns})
        refused["case_id"] = table["case_id"].iloc[rows].to_numpy()
        refused["status"] = ["not scored: invalid input: " + r for r in aside["reason"]]
        refused["target_prior"] = model.prior_.name(target_prior)
        refused["model_bundle"] = model.identity_.bundle_hash
        refused["notice"] = model.identity_.notice
        order = np.argsort(np.r_[kept, rows], kind="stable")
        scored = pd.concat([scored[columns], refused], ignore_index=True).iloc[order].reset_index(drop=True)
    out = scored[columns].copy()
    for c in columns:  # numbers as numbers; text as text, blank as None (null in JSON)
        out[c] = out[c].astype(float) if c.startswith("p_") else out[c].astype(object).where(out[c].notna(), None)
    return out


def _quiet_type_hint_warning():
    """MLflow warns, when the class is made, that ``predict`` has no type hints: on purpose, since
    MLflow's type enforcement is what broke whole numbers and blank columns (the contract checks
    every value instead). MLflow shows it under its own "once" filter, which no filter of ours
    outranks, so the one message is dropped where warnings are shown, while the class is made."""
    import warnings

    shown = warnings.showwarning

    def show(message, category, *args, **kwargs):
        if not (category is UserWarning and "type hints to the `predict` method" in str(message)):
            shown(message, category, *args, **kwargs)

    warnings.showwarning = show
    return shown


_shown = _quiet_type_hint_warning()


class NetoriginPyfunc(PythonModel):
    """One row per case: status, p_<site>, p_subsite_<sub-site>, top_site, prediction_set, reasons,
    next_test, warnings, target_prior, model_bundle (params: target_prior, coverage, score_anyway)."""

    def load_context(self, context):
        from netorigin.estimator import load_bundle

        self.model = load_bundle(context.artifacts["bundle"])

    def netorigin_answer(self, model_input, params=None) -> pd.DataFrame:
        """The answer to a request (raises NetoriginError for one that cannot be read as cases)."""
        return answer(self.model, request_table(model_input), params or {})

    def predict(self, context, model_input, params=None):
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

        from netorigin.exceptions import NetoriginError

        try:
            return self.netorigin_answer(model_input, params)
        except NetoriginError as e:
            raise MlflowException(str(e), error_code=INVALID_PARAMETER_VALUE) from None
        except RecursionError:
            raise MlflowException(
                "request: nested too deeply to be a case", error_code=INVALID_PARAMETER_VALUE
            ) from None


install()  # MLflow's scoring server reads netorigin's requests as netorigin reads a file
mlflow.models.set_model(NetoriginPyfunc())
import warnings  # noqa: E402

warnings.showwarning = _shown
