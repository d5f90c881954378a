"""The parameters of :class:`~netorigin.estimator.SiteModel`, declared and checked as scikit-learn
declares and checks its own."""

from __future__ import annotations

from ..exceptions import InputError


def parameter_constraints() -> dict:
    """What each parameter of :class:`SiteModel` may be, declared as scikit-learn declares its own
    (``_parameter_constraints``); built when fitting, so that scoring never imports scikit-learn."""
    from numbers import Integral

    from sklearn.utils._param_validation import Interval, StrOptions

    return {
        "kind": [str],
        "params": [dict, None],
        "level": [StrOptions({"auto", "site", "subsite"})],
        "cv": [Interval(Integral, 2, None, closed="left"), StrOptions({"holdout"})],
        "target_prior": [str],
        "random_state": ["random_state"],
    }


def validate_parameters(model) -> None:
    """Every parameter against :func:`parameter_constraints`; a wrong one is an :class:`InputError`
    naming the parameter, the value and what was expected."""
    from sklearn.utils._param_validation import InvalidParameterError, validate_parameter_constraints

    try:
        validate_parameter_constraints(
            parameter_constraints(), model.get_params(deep=False), caller_name=type(model).__name__
        )
    except InvalidParameterError as e:
        raise InputError(str(e)) from None
