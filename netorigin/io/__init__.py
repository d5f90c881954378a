"""Files in and out: cohort tables (CSV, TSV, Parquet), single cases (YAML, JSON, one-row CSV),
and mapping files from a registry's layout to the case contract."""

from ._cbioportal import import_cbioportal
from ._geo import import_geo
from ._mapping import Mapping, apply_mapping, load_mapping, suggest_mapping
from ._outputs import Output, is_bundle, plan_outputs, replace_folder, write_bytes_atomic
from ._read import (
    CASE_SUFFIXES,
    TABLE_SUFFIXES,
    load_cases,
    load_cohort,
    read_case_mapping,
    read_csv_text,
    read_table,
    validate_rows,
)
from ._strict import decode_text, load_json, load_yaml, read_bounded
from ._write import neutralise_formulas, write_table

__all__ = [
    "decode_text",
    "load_json",
    "load_yaml",
    "read_bounded",
    "Output",
    "is_bundle",
    "plan_outputs",
    "replace_folder",
    "write_bytes_atomic",
    "import_cbioportal",
    "import_geo",
    "CASE_SUFFIXES",
    "TABLE_SUFFIXES",
    "Mapping",
    "apply_mapping",
    "load_cases",
    "load_cohort",
    "load_mapping",
    "neutralise_formulas",
    "read_case_mapping",
    "read_csv_text",
    "read_table",
    "suggest_mapping",
    "validate_rows",
    "write_table",
]
