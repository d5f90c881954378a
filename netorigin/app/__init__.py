"""The clinician's application and the tasks: scoring a case or cohort file, the one-page HTML
report, the local web page and JSON API (``netorigin serve``); tasks described by versioned YAML
configs (``pipelines/*.yaml``), each run by ``netorigin run`` and tracked: train a model,
benchmark every kind, score a cohort into a report."""

from .._lazy import lazy_names
from ._report import html_report, markdown_report
from ._scoring import ScoreOutput, refuse_out_of_scope, score_dask, score_path
from ._serve import create_app, serve

__all__ = [
    "ScoreOutput",
    "create_app",
    "html_report",
    "markdown_report",
    "refuse_out_of_scope",
    "score_dask",
    "score_path",
    "serve",
    "load_config",
    "pipeline_json_schema",
    "pipeline_markdown",
    "run_task",
]

# The tasks read pandas, their configs pydantic: imported when first asked for.
__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "load_config": "_tasks",
        "run_task": "_tasks",
        "pipeline_json_schema": "_config",
        "pipeline_markdown": "_config",
    },
)
