"""The mlp kind's classifier: scikit-learn's MLPClassifier with a batch-independent forward pass
(imported only when an mlp model is made or read)."""

from __future__ import annotations

import numpy as np
from sklearn.neural_network import MLPClassifier
from sklearn.neural_network._base import ACTIVATIONS
from sklearn.utils.validation import validate_data


class MLPSiteClassifier(MLPClassifier):
    """scikit-learn's MLPClassifier whose forward pass sums element-wise products per row: the
    same bits for a case alone or in a batch, before or after the model is saved. Dense input only
    (netorigin's features are dense)."""

    def _forward_pass_fast(self, X, check_input=True):
        if check_input:
            X = validate_data(self, X, reset=False, accept_sparse=False)
        h = np.ascontiguousarray(X, dtype=float)
        for i, (w, b) in enumerate(zip(self.coefs_, self.intercepts_)):
            h = (h[:, :, None] * np.ascontiguousarray(w)[None, :, :]).sum(axis=1) + b
            act = self.activation if i < len(self.coefs_) - 1 else self.out_activation_
            ACTIVATIONS[act](h)  # in place
        return h

    def _validate_input(self, X, y, incremental, reset):
        return super()._validate_input(_dense(X), y, incremental, reset)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


def _dense(X):
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError("MLPSiteClassifier: sparse input is not supported; pass a dense array")
    return X
