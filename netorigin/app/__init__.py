"""The clinician's application and the tasks: scoring a case or cohort file, the one-page HTML
report, the local web page and JSON API (``netorigin serve``); tasks described by versioned YAML
configs (``pipelines/*.yaml``), each run by ``netorigin run`` and tracked: train a model,
benchmark every kind, score a cohort into a report."""

from .._lazy import lazy_names
from ._scoring import score_dask, score_path
from ._serve import serve

__all__ = [
    "score_dask",
    "score_path",
    "serve",
    "pipeline_json_schema",
    "pipeline_markdown",
    "run_task",
]

# The tasks read pandas, their configs pydantic: imported when first asked for.
__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "run_task": "_tasks",
        "pipeline_json_schema": "_config",
        "pipeline_markdown": "_config",
    },
)
