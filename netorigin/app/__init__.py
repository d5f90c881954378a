"""The clinician's application: scoring a case or cohort file, the one-page HTML report, the
local web page and JSON API (``netorigin serve``)."""

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
]
