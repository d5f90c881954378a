"""The start-up shadows, behind one door: netorigin's own copies of what a library computes, kept
so that scoring one case imports neither scikit-learn, SciPy, xgboost nor pandas.

- scikit-learn's estimator protocol (``BaseEstimator``, the mixins, ``check_is_fitted``) and its
  check of a feature matrix (:func:`check_features`);
- xgboost's prediction of depth-<=2 boosted trees: margins and exact TreeSHAP
  (:class:`CompiledTrees`, built by :func:`compile_booster`);
- SciPy's ``ndtr`` and ``log_ndtr`` (:func:`ndtr`, :func:`log_ndtr`);
- pandas' missing-value singletons (:func:`is_pandas_missing`);
- NumPy's ``np.unique`` without its ``numpy.ma`` import (:func:`sorted_unique`).

Each computation has one code path, chosen once: never by the number of cases, never by what the
process happens to have imported (tests/test_architecture.py). Each is held to the library it
copies, on a single row and on batches of more than 256 rows (tests/test_runtime.py). The rest of
netorigin imports these only from here.
"""

from ._compile import compile_booster
from ._estimator import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    TransformerMixin,
    check_features,
    check_is_fitted,
)
from ._missing import is_pandas_missing
from ._normal import log_ndtr, ndtr
from ._trees import MAX_DEPTH, MAX_WEIGHT, CompiledTrees
from ._unique import sorted_unique

__all__ = [
    "MAX_DEPTH",
    "MAX_WEIGHT",
    "BaseEstimator",
    "ClassifierMixin",
    "CompiledTrees",
    "MetaEstimatorMixin",
    "TransformerMixin",
    "check_features",
    "check_is_fitted",
    "compile_booster",
    "sorted_unique",
    "is_pandas_missing",
    "log_ndtr",
    "ndtr",
]
