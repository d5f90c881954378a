"""MLflow models-from-code entry point: an MLflow pyfunc that loads a netorigin bundle.

Part of the tracking edge (the only other file that imports mlflow). MLflow stores this source
file and the bundle folder; loading runs this file, which reads the bundle through netorigin's
checked, pickle-free loader. Nothing is unpickled.

``predict`` takes cases as a hospital system sends them (whole numbers, blanks, all-blank
columns, spellings such as "pos"), validates them through the case contract exactly as the
command line does, and answers one row per case, in the order sent, with everything a clinician
reads: the three probabilities, the sub-site breakdown, the prediction set, the top site, reasons
in words, the next test, warnings, the status (scored, or why not) and the model's bundle hash.

A row with a value the contract refuses is answered, not dropped: its status says which field
and value and what was expected (a batch is not lost to one bad row). A request that cannot be
read as cases at all (no rows, a row longer than the header, repeated column names, identifiers
that MLflow's CSV reader turned into numbers) is refused as a whole with a message.
"""

import math

import mlflow
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel


def as_text(value):
    """A cell as the CLI reads it from a file: text, or None for blank; a list or mapping is kept as
    it is, for the contract to refuse by name ("a single value")."""
    if value is None:
        return None
    if isinstance(value, (list, tuple, dict, set, np.ndarray)):
        return value
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    text = str(value)
    return text if text.strip() else None


def request_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The request as a table of text, refusing (InputError) what cannot be read as cases."""
    from netorigin.exceptions import InputError

    if len(frame) == 0:
        raise InputError("request: no cases (a header and no rows)")
    if not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0 or frame.index.step != 1:
        raise InputError(
            "request: a row has more values than the header (MLflow's CSV reader then reads the first "
            "value as a row label, and every value after it under the wrong column); nothing is guessed"
        )
    names = [str(c) for c in frame.columns]
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:
        raise InputError(f"request: column(s) {', '.join(map(repr, repeated))} appear more than once")
    if "case_id" in frame.columns and pd.api.types.is_numeric_dtype(frame["case_id"]):
        raise InputError(
            "case_id: arrived as numbers, so it cannot be kept as written (MLflow's CSV reader turns "
            "'007' into 7 and '1e3' into 1000); send case_id as JSON strings (dataframe_records or "
            "dataframe_split), or leave it out"
        )
    table = pd.DataFrame(
        {c: [as_text(v) for v in frame.iloc[:, j].astype(object)] for j, c in enumerate(names)}, dtype=object
    )
    if "case_id" not in table.columns:
        table.insert(0, "case_id", [f"row-{i + 1}" for i in range(len(table))])
    return table


def answer(model, table: pd.DataFrame, params: dict) -> pd.DataFrame:
    """Score the valid rows, answer the invalid ones with why; one row per case in the order sent."""
    from netorigin.contract import SITES
    from netorigin.inference import BATCH_TEXT_COLUMNS, score_cohort
    from netorigin.io import validate_rows

    coverage = params.get("coverage")
    target_prior, coverage = params.get("target_prior") or None, 0.9 if coverage is None else float(coverage)
    validated = validate_rows(table, source="request")
    if validated.n_cases:
        scored = score_cohort(
            model,
            validated,
            target_prior=target_prior,
            coverage=coverage,
            score_anyway=bool(params.get("score_anyway")),
            panel=2,  # the best pair of tests, as every other output names it
        ).astype(object)
    else:  # every row refused: the columns a scored row would have
        scored = pd.DataFrame(
            columns=["case_id", "status", *[f"p_{s}" for s in SITES], *BATCH_TEXT_COLUMNS],
            dtype=object,
        )
    aside = validated.set_aside
    if aside is not None and len(aside):
        kept = np.setdiff1d(np.arange(len(table)), aside["row"].to_numpy(dtype=int) - 1)
        refused = pd.DataFrame({c: [None] * len(aside) for c in scored.columns}, dtype=object)
        refused["case_id"] = table["case_id"].iloc[aside["row"].to_numpy(dtype=int) - 1].to_numpy()
        refused["status"] = ["not scored: invalid input: " + r for r in aside["reason"]]
        refused["target_prior"] = model.prior_name(target_prior)
        refused["model_bundle"] = model.bundle_hash
        refused["notice"] = model.identity()["notice"]
        order = np.argsort(np.r_[kept, aside["row"].to_numpy(dtype=int) - 1], kind="stable")
        scored = pd.concat([scored, refused], ignore_index=True).iloc[order].reset_index(drop=True)
    # blanks are null, never a bare NaN (not valid JSON for strict parsers)
    return scored.astype(object).where(scored.notna(), None)


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
        from netorigin.bundle import load_bundle

        self.model = load_bundle(context.artifacts["bundle"])

    def predict(self, context, model_input, params=None):
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

        from netorigin.exceptions import NetoriginError

        try:
            return answer(self.model, request_table(pd.DataFrame(model_input)), params or {})
        except NetoriginError as e:
            raise MlflowException(str(e), error_code=INVALID_PARAMETER_VALUE) from None
        except RecursionError:
            raise MlflowException(
                "request: nested too deeply to be a case", error_code=INVALID_PARAMETER_VALUE
            ) from None


mlflow.models.set_model(NetoriginPyfunc())
import warnings  # noqa: E402

warnings.showwarning = _shown
