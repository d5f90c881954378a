"""Files in and out, and the case table as a model reads it: cohort tables (CSV, TSV, Parquet),
single cases (YAML, JSON, one-row CSV), mapping files from a registry's layout to the case
contract, public formats (cBioPortal, GEO); the bundled data (the seed paper's seven patients,
example cases, the synthetic world's parameter files, the shipped model: the repository's top-level
``data/`` folder, shipped as the package ``netorigin.data`` and found through :mod:`importlib`;
``NETORIGIN_DATA`` may point to another folder with the same layout); and the feature builders
(the canonical case table -> a float matrix with named features, NaN = test not done for trees,
explicit missing indicators for linear models) with the training profile (aggregates of the
training data, to flag cases unlike it)."""

from ._cbioportal import import_cbioportal
from ._features import CaseFeatures, CheckCases, features_from_state, features_state
from ._geo import import_geo
from ._information import INFORMATION_BINS, information_bin, informative_counts, informative_fields
from ._mapping import Mapping, load_mapping, suggest_mapping
from ._outputs import Output, plan_outputs, replace_folder, write_bytes_atomic
from ._paths import data_path, default_model_path, example_case_path, load_seed_cohort
from ._profile import check_profile, finish_profile, make_profile, merge_partials, profile_partial, unlike_training
from ._read import load_cases, load_cohort, read_case_mapping, read_csv_text, read_table, validate_rows
from ._strict import decode_text, load_json, read_bounded
from ._write import neutralise_formulas, write_table

__all__ = [
    "decode_text",
    "load_json",
    "read_bounded",
    "Output",
    "plan_outputs",
    "replace_folder",
    "write_bytes_atomic",
    "import_cbioportal",
    "import_geo",
    "Mapping",
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
    "data_path",
    "default_model_path",
    "example_case_path",
    "load_seed_cohort",
    "INFORMATION_BINS",
    "information_bin",
    "informative_counts",
    "informative_fields",
    "CaseFeatures",
    "check_profile",
    "CheckCases",
    "features_from_state",
    "features_state",
    "finish_profile",
    "make_profile",
    "merge_partials",
    "profile_partial",
    "unlike_training",
]
