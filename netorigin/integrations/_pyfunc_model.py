"""MLflow models-from-code entry point: an MLflow pyfunc that loads a netorigin bundle.

Part of the tracking edge (the only other file that imports mlflow). MLflow stores this source
file and the bundle folder; loading runs this file, which reads the bundle through netorigin's
checked, pickle-free loader. Nothing is unpickled.
"""

import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel


class NetoriginPyfunc(PythonModel):
    """Returns calibrated site probabilities (columns ileal, pancreatic, other)."""

    def load_context(self, context):
        from netorigin.bundle import load_bundle

        self.model = load_bundle(context.artifacts["bundle"])

    def predict(self, context, model_input: pd.DataFrame, params=None):
        target = (params or {}).get("target_prior") or None
        proba = self.model.predict_proba(pd.DataFrame(model_input), target_prior=target)
        return pd.DataFrame(proba, columns=list(self.model.classes_))


mlflow.models.set_model(NetoriginPyfunc())
