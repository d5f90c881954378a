"""The ``mlp`` kind: a small neural network on the logistic model's features; its codec (JSON).
It has no exact explainer, so it gives no reasons."""

from __future__ import annotations

from .._runtime import MAX_WEIGHT
from ..exceptions import InputError, check_stored
from ..io import CaseFeatures
from ._registry import ModelKind, dump_json, read_json, register, stored_classes

_ACTIVATIONS = ("relu", "tanh", "identity", "logistic")


def _classifier_class():
    """MLPSiteClassifier (its module imports scikit-learn: imported when an mlp model is made)."""
    from ._mlp_sklearn import MLPSiteClassifier

    return MLPSiteClassifier


def _make(random_state=None, **params):
    return (
        CaseFeatures(missing="indicator", scale=True, procedures=False),
        _classifier_class()(
            **{
                "hidden_layer_sizes": (32,),
                "alpha": 1e-3,
                "max_iter": 500,
                "early_stopping": True,
                "random_state": random_state,
                **params,
            }
        ),
    )


def _to_files(clf):
    return {
        "mlp.json": dump_json(
            {
                "activation": clf.activation,
                "out_activation": clf.out_activation_,
                "weights": [w.tolist() for w in clf.coefs_],
                "biases": [b.tolist() for b in clf.intercepts_],
                "classes": [int(c) for c in clf.classes_],
            }
        )
    }


def _from_files(files):
    from sklearn.preprocessing import LabelBinarizer

    d = read_json(files["mlp.json"], "mlp.json")
    if not isinstance(d, dict) or not isinstance(d.get("weights"), list) or not isinstance(d.get("biases"), list):
        raise InputError("mlp.json: expected activation, weights, biases and classes")
    if d.get("activation") not in _ACTIVATIONS or d.get("out_activation", "softmax") not in ("softmax", "logistic"):
        raise InputError(f"mlp.json: activation {str(d.get('activation'))[:40]!r} is not supported")
    if not d["weights"] or len(d["weights"]) != len(d["biases"]):
        raise InputError("mlp.json: one list of biases per layer of weights, at least one layer")
    clf = _classifier_class()(activation=d["activation"])
    clf.coefs_, clf.intercepts_, width = [], [], None
    for j, (w, b) in enumerate(zip(d["weights"], d["biases"])):
        w = check_stored(w, f"mlp.json: weights[{j}]", shape=(width, None), low=-MAX_WEIGHT, high=MAX_WEIGHT)
        width = w.shape[1]
        clf.coefs_.append(w)
        clf.intercepts_.append(
            check_stored(b, f"mlp.json: biases[{j}]", shape=(width,), low=-MAX_WEIGHT, high=MAX_WEIGHT)
        )
    clf.n_layers_ = len(clf.coefs_) + 1
    clf.n_outputs_ = clf.coefs_[-1].shape[1]
    clf.out_activation_ = d.get("out_activation", "softmax")
    clf.classes_ = stored_classes(d.get("classes", list(range(clf.n_outputs_))), clf.n_outputs_, "mlp.json")
    clf._label_binarizer = LabelBinarizer().fit(clf.classes_)
    clf.n_features_in_ = clf.coefs_[0].shape[0]
    return clf


register(
    ModelKind(
        name="mlp",
        summary="a small neural network (32 units) on the logistic model's features; no reasons",
        make_classifier=_make,
        explain=None,
        to_files=_to_files,
        from_files=_from_files,
        files=("mlp.json",),
    )
)
