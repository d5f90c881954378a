"""The range of every numeric setting of a pipeline config, checked when the config is read."""

from __future__ import annotations

from ..exceptions import InputError


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


def check_ranges(cfg: dict, where) -> None:
    """Every numeric setting within its range, named with the range when not (exit code 2)."""
    data = cfg.get("data") if isinstance(cfg.get("data"), dict) else {}
    synthetic = data.get("synthetic") if isinstance(data.get("synthetic"), dict) else {}
    model = cfg.get("model") if isinstance(cfg.get("model"), dict) else {}
    values = {
        **cfg,
        **{f"data.synthetic.{k}": v for k, v in synthetic.items()},
        **{f"model.{k}": v for k, v in model.items()},
    }
    for key, (lo, hi) in _ranges().items():
        value = values.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not lo <= value <= hi:
            raise InputError(f"{where}: {key}: {value!r} is not from {lo:,} to {hi:,}")
