"""The range of every numeric setting of a pipeline config (the config models of _config.py
read them), checked when the config is read."""

from __future__ import annotations


def _ranges() -> dict:
    """The range of every numeric setting (``data.synthetic.*`` for the synthetic cohort's): a
    pipeline asks for nothing the library would refuse after the work began, or that would not end."""
    from ..exceptions import SEED_MAX
    from ..literature import MAX_CASES, MAX_WORLDS
    from ..training import MAX_BOOTSTRAP

    return {
        "version": (1, 10**6),
        "n_bootstrap": (0, MAX_BOOTSTRAP),
        "cv": (2, MAX_FOLDS),
        "train_n": (1, MAX_CASES),
        "test_n": (1, MAX_CASES),
        "seed": (0, SEED_MAX),
        "coverage": (0.5, 0.99),
        "data.synthetic.n": (1, MAX_CASES),
        "data.synthetic.seed": (0, SEED_MAX),
        "data.synthetic.worlds": (1, MAX_WORLDS),
        "data.synthetic.label_noise": (0, 1),
        "model.random_state": (0, SEED_MAX),
    }


MAX_FOLDS = 20  # cross-fitting folds
