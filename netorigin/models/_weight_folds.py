"""The folds the latent-class kind chooses the literature's weight by."""

from __future__ import annotations

import warnings

import numpy as np

from ..exceptions import InputError


def weight_folds(labels: np.ndarray, n_folds: int, groups=None, random_state=None) -> np.ndarray:
    """Each case's fold (0 to ``n_folds - 1``) for choosing the literature's weight: stratified by
    label and, when a patient has several cases (``groups``: each case's patient), grouped by
    patient (``StratifiedGroupKFold``: a patient's cases in one fold, as every split of the
    package); one case per patient (``groups`` None or all different): each label dealt out at
    random.

    >>> labels = np.array(["ileal"] * 6 + ["other"] * 6, dtype=object)
    >>> fold = weight_folds(labels, 3, groups=np.repeat(np.arange(6), 2), random_state=0)
    >>> bool((fold[0::2] == fold[1::2]).all())
    True
    """
    labels = np.asarray(labels, dtype=object)
    if groups is not None and len(groups) != len(labels):
        raise InputError(f"groups: {len(groups)} value(s) for {len(labels)} case(s); give each case's patient")
    if groups is not None and len(np.unique(np.asarray(groups))) < len(labels):
        from sklearn.model_selection import StratifiedGroupKFold

        groups = np.asarray(groups)
        if len(np.unique(groups)) < n_folds:
            raise InputError(f"groups: {len(np.unique(groups))} patients cannot be split into {n_folds} folds")
        fold = np.empty(len(labels), dtype=int)
        splits = StratifiedGroupKFold(n_folds, shuffle=True, random_state=random_state)
        with warnings.catch_warnings():  # a label rarer than the folds is stratified as well as it can be
            warnings.filterwarnings("ignore", "The least populated class", UserWarning)
            for k, (_, test) in enumerate(splits.split(np.zeros(len(labels)), labels.astype(str), groups)):
                fold[test] = k
        return fold
    rng = np.random.default_rng(random_state)
    fold = np.empty(len(labels), dtype=int)
    for lab in np.unique(labels):
        idx = np.flatnonzero(labels == lab)
        fold[idx] = rng.permutation(np.arange(len(idx)) % n_folds)
    return fold
