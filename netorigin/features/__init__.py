"""Feature builders (the canonical case table -> a float matrix with named features; NaN = test
not done for trees, explicit missing indicators for linear models) and the training profile
(aggregates of the training data, to flag cases unlike it)."""

from ._features import CaseFeatures, CheckCases, feature_spec, features_from_state, features_state
from ._information import (
    INFORMATION_BINS,
    LOW_INFORMATION_FIELDS,
    information_bin,
    informative_counts,
    informative_fields,
)
from ._profile import check_profile, finish_profile, make_profile, merge_partials, profile_partial, unlike_training

__all__ = [
    "INFORMATION_BINS",
    "LOW_INFORMATION_FIELDS",
    "information_bin",
    "informative_counts",
    "informative_fields",
    "CaseFeatures",
    "check_profile",
    "CheckCases",
    "feature_spec",
    "features_from_state",
    "features_state",
    "finish_profile",
    "make_profile",
    "merge_partials",
    "profile_partial",
    "unlike_training",
]
