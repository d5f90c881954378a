"""The model: :class:`SiteModel`, one fitted scikit-learn estimator from a case table to
probabilities, sets and reasons (:class:`Forward`: what one pass of it gives), and the rule that
chooses what it learns from a cohort."""

from ._calibrate import keep_uncalibrated
from ._forward import Forward
from ._labels import MIN_PER_LABEL, MIN_PER_SITE, CaseSplitter, choose_labels
from ._site_model import SiteModel

__all__ = [
    "MIN_PER_LABEL",
    "MIN_PER_SITE",
    "CaseSplitter",
    "Forward",
    "SiteModel",
    "choose_labels",
    "keep_uncalibrated",
]
