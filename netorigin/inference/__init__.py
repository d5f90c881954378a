"""Scoring with a fitted model: probabilities, prediction sets, reasons, the next test to order,
and warnings; one case or a whole cohort."""

from ._advise import MATTERS_CHANCE, matters, model_cell_posterior, next_tests
from ._cohort import BATCH_TEXT_COLUMNS, batch_columns, batch_table, score_cohort
from ._result import ScoreResult
from ._score import REPORT_KEYS, case_report, case_reports, score_cases
from ._tests import load_test_table
from ._value import exact_next_tests, value_of_tests
from ._words import (
    ADVICE_RULE,
    ASSUMED_MARK,
    ASSUMED_SOURCE,
    NO_TEST_MATTERS,
    advice_lines,
    advice_text,
    chance,
    model_words,
    percent,
    rests_on_assumptions,
    setting_words,
    subsite_breakdown,
    why_header,
)

__all__ = [
    "MATTERS_CHANCE",
    "ADVICE_RULE",
    "ASSUMED_MARK",
    "ASSUMED_SOURCE",
    "advice_lines",
    "model_words",
    "setting_words",
    "subsite_breakdown",
    "why_header",
    "NO_TEST_MATTERS",
    "advice_text",
    "chance",
    "matters",
    "percent",
    "rests_on_assumptions",
    "exact_next_tests",
    "load_test_table",
    "model_cell_posterior",
    "value_of_tests",
    "BATCH_TEXT_COLUMNS",
    "batch_columns",
    "REPORT_KEYS",
    "ScoreResult",
    "batch_table",
    "case_report",
    "case_reports",
    "next_tests",
    "score_cases",
    "score_cohort",
]
