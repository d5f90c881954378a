"""netorigin: predict the primary site of a metastatic well-differentiated neuroendocrine tumour.

For research use only; not a medical device.

The public surface is listed in ``__all__``; everything else is private.
"""

__version__ = "0.1.0"

from .datasets import data_path, example_case_path, load_seed_cohort
from .describe import describe_cohort
from .exceptions import InputError, NetoriginError, Problem, ValidationError
from .features import CaseFeatures, CheckCases
from .io import load_cases, load_cohort, read_table, write_table
from .schema import (
    FIELDS,
    SCHEMA_VERSION,
    Notice,
    ValidatedCohort,
    check_case,
    check_cohort,
    validate_case,
    validate_cohort,
)
from .template import make_case_template

__all__ = [
    "__version__",
    "FIELDS",
    "SCHEMA_VERSION",
    "CaseFeatures",
    "CheckCases",
    "InputError",
    "NetoriginError",
    "Notice",
    "Problem",
    "ValidatedCohort",
    "ValidationError",
    "check_case",
    "check_cohort",
    "data_path",
    "describe_cohort",
    "example_case_path",
    "load_cases",
    "load_cohort",
    "load_seed_cohort",
    "make_case_template",
    "read_table",
    "validate_case",
    "validate_cohort",
    "write_table",
]
