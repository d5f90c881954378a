"""Scoring with a fitted model: probabilities, prediction sets, reasons, the next test to order,
and warnings; one case or a whole cohort."""

from ._advise import CANDIDATE_TESTS, next_tests
from ._score import REPORT_KEYS, ScoreResult, batch_table, case_report, score_cases, score_cohort

__all__ = ["CANDIDATE_TESTS", "REPORT_KEYS", "ScoreResult", "batch_table", "case_report", "next_tests",
           "score_cases", "score_cohort"]
