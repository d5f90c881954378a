"""The case contract: fields, values, synonyms and units; validation into the canonical table;
the template and schema exports; Table-1 summaries.

This is the lowest layer of netorigin: it imports nothing from the layers above it.
"""

from ._canonical import as_canonical, read_canonical
from ._columns import CaseColumns, column_codes, column_numbers, column_values, recorded_mask, without_value
from ._consistency import renumber_notices
from ._describe import describe_cohort
from ._export import contract_csv, contract_json_schema, contract_markdown, make_case_template
from ._field_words import field_label, value_words
from ._fields import (
    DEFAULT_EXPRESSION_GENES,
    DETAIL_TO_SITE,
    FIELDS,
    LABEL_FIELDS,
    MARKERS,
    MITOSES_BANDS,
    SCHEMA_VERSION,
    SITE_DETAILS,
    SITES,
    SUBSITES,
    Field,
    field_for,
)
from ._grades import grade_from_ki67, mitoses_band_index
from ._names import FIELD_SYNONYMS, guess_field
from ._notice import RESEARCH_NOTICE, research_notice
from ._procedures import PLACES, PROCEDURE_FIELDS, PROCEDURES
from ._sites import LABEL_SITE, site_of, site_sums
from ._validation import Notice, ValidatedCohort, check_case, check_cohort, validate_case, validate_cohort
from ._values import is_not_done, parse_value, read_number
from ._vocabulary import MISSING_TOKENS, positive_value

__all__ = [
    "LABEL_SITE",
    "site_of",
    "site_sums",
    "CaseColumns",
    "column_codes",
    "column_numbers",
    "column_values",
    "recorded_mask",
    "without_value",
    "FIELD_SYNONYMS",
    "guess_field",
    "DEFAULT_EXPRESSION_GENES",
    "DETAIL_TO_SITE",
    "FIELDS",
    "LABEL_FIELDS",
    "MARKERS",
    "MISSING_TOKENS",
    "MITOSES_BANDS",
    "RESEARCH_NOTICE",
    "research_notice",
    "SCHEMA_VERSION",
    "SITES",
    "SITE_DETAILS",
    "SUBSITES",
    "Field",
    "Notice",
    "ValidatedCohort",
    "as_canonical",
    "read_canonical",
    "check_case",
    "check_cohort",
    "contract_csv",
    "contract_json_schema",
    "contract_markdown",
    "describe_cohort",
    "field_for",
    "field_label",
    "value_words",
    "PLACES",
    "PROCEDURE_FIELDS",
    "PROCEDURES",
    "grade_from_ki67",
    "is_not_done",
    "make_case_template",
    "mitoses_band_index",
    "parse_value",
    "positive_value",
    "read_number",
    "renumber_notices",
    "validate_case",
    "validate_cohort",
]
