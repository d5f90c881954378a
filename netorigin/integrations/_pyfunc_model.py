"""MLflow models-from-code entry point: an MLflow pyfunc that loads a netorigin bundle.

Part of the tracking edge (the only other file that imports mlflow). MLflow stores this source
file and the bundle folder; loading runs this file, which reads the bundle through netorigin's
checked, pickle-free loader. Nothing is unpickled.

``predict`` takes cases as a hospital system sends them (whole numbers, blanks, all-blank
columns, spellings such as "pos"), validates them through the case contract exactly as the
command line does, and answers one row per case with everything a clinician reads: the three
probabilities, the sub-site breakdown, the prediction set, the top site, reasons in words, the
next test, warnings, the status (scored or why not) and the model's bundle hash.
"""

import math

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel


def as_text(value):
    """A cell as the CLI reads it from a file: text, or None for blank."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return text if text.strip() else None


class NetoriginPyfunc(PythonModel):
    """One row per case: status, p_<site>, p_<sub-site>, top_site, prediction_set, reasons,
    next_test, warnings, target_prior, model_bundle (params: target_prior, coverage, score_anyway)."""

    def load_context(self, context):
        from netorigin.bundle import load_bundle

        self.model = load_bundle(context.artifacts["bundle"])

    def predict(self, context, model_input, params=None):
        from mlflow.exceptions import MlflowException
        from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

        from netorigin.contract import validate_cohort
        from netorigin.exceptions import NetoriginError
        from netorigin.inference import score_cohort

        params = params or {}
        frame = pd.DataFrame(model_input)
        table = pd.DataFrame({str(c): [as_text(v) for v in frame[c].astype(object)] for c in frame.columns})
        if "case_id" not in table.columns:
            table.insert(0, "case_id", [f"row-{i + 1}" for i in range(len(table))])
        try:
            validated = validate_cohort(table, source="request")
            coverage = params.get("coverage")
            return score_cohort(self.model, validated, target_prior=params.get("target_prior") or None,
                                coverage=0.9 if coverage is None else float(coverage),
                                score_anyway=bool(params.get("score_anyway")))
        except NetoriginError as e:
            raise MlflowException(str(e), error_code=INVALID_PARAMETER_VALUE) from None


mlflow.models.set_model(NetoriginPyfunc())
