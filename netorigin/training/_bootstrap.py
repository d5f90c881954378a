"""The bootstrap over patients that every interval of ``netorigin.training`` draws: whole patients
are resampled when some have several cases, single cases otherwise."""

from __future__ import annotations

import numpy as np


class PatientBootstrap:
    """Resamples of ``n`` cases by patient (``groups``: each case's patient; None, or one case
    per patient: cases are resampled).

    Each draw picks as many patients (or cases) as there are, with replacement, from
    ``random_state`` (scikit-learn's ``check_random_state``); :meth:`indices` gives the cases a
    draw holds (a patient's cases together), :meth:`weights` how many times each case is in it.

    >>> b = PatientBootstrap(4, groups=["p1", "p1", "p2", "p3"])
    >>> b.n_units
    3
    >>> [b.weights(pick).tolist() for pick in b.draws(2, random_state=0)]
    [[2, 2, 1, 0], [0, 0, 2, 1]]
    """

    def __init__(self, n: int, groups=None):
        self.n = int(n)
        self._inverse = self._cases_of = None
        if groups is not None:
            _, inv = np.unique(np.asarray(groups), return_inverse=True)
            if inv.max(initial=-1) + 1 < self.n:  # several cases per patient: resample whole patients
                order = np.argsort(inv, kind="stable")
                self._inverse = inv
                self._cases_of = np.split(order, np.flatnonzero(np.diff(inv[order])) + 1)
        self.n_units = self.n if self._cases_of is None else len(self._cases_of)

    def draws(self, n_bootstrap: int, random_state=0):
        """Yield ``n_bootstrap`` draws (the patients, or cases, picked: an array of their numbers)."""
        from sklearn.utils import check_random_state

        rng = check_random_state(random_state)
        for _ in range(n_bootstrap):
            yield rng.randint(0, self.n_units, self.n_units)

    def indices(self, pick) -> np.ndarray:
        """The cases of a draw, each as often as it was picked."""
        if self._cases_of is None:
            return pick
        return np.concatenate([self._cases_of[g] for g in pick])

    def weights(self, pick) -> np.ndarray:
        """How many times each case is in a draw (length ``n``)."""
        counts = np.bincount(pick, minlength=self.n_units)
        return counts if self._inverse is None else counts[self._inverse]
