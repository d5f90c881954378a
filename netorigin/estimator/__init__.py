"""The model: :class:`SiteModel`, one fitted scikit-learn estimator from a case table to
probabilities, sets and reasons, and the rule that chooses what it learns from a cohort."""

from ._site_model import MIN_PER_LABEL, MIN_PER_SITE, CaseSplitter, SiteModel, choose_labels

__all__ = ["MIN_PER_LABEL", "MIN_PER_SITE", "CaseSplitter", "SiteModel", "choose_labels"]
