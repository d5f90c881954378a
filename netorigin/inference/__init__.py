"""Scoring with a fitted model: probabilities, prediction sets, reasons, the next test to order,
and warnings; one case or a whole cohort."""

from ._advise import next_tests
from ._cohort import batch_columns, batch_table, score_cohort
from ._score import case_report, case_reports, score_cases
from ._value import value_of_tests
from ._words import (
    ADVICE_RULE,
    ASSUMED_SOURCE,
    advice_lines,
    model_words,
    percent,
    rests_on_assumptions,
    setting_words,
    subsite_breakdown,
    why_header,
)

__all__ = [
    "ADVICE_RULE",
    "ASSUMED_SOURCE",
    "advice_lines",
    "model_words",
    "setting_words",
    "subsite_breakdown",
    "why_header",
    "percent",
    "rests_on_assumptions",
    "value_of_tests",
    "batch_columns",
    "batch_table",
    "case_report",
    "case_reports",
    "next_tests",
    "score_cases",
    "score_cohort",
]
