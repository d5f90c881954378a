"""Compiling an xgboost booster of depth-<=2 trees into :class:`~netorigin._runtime._trees.CompiledTrees`:
the trees read from the booster's own JSON, the exact Shapley tables of every combination of
directions, and the provenance (the booster's sha256, probe rows and xgboost's margins on them)."""

from __future__ import annotations

import json

import numpy as np

from ._trees import _PROBES, _SHAPLEY_W, CompiledTrees


def compile_booster(booster, raw: bytes | None = None) -> CompiledTrees | None:
    """The tables of an xgboost multi-class booster, or None when a tree is deeper than two
    levels or uses a split kind other than numeric (then xgboost explains it itself). ``raw``:
    the booster's UBJ bytes as stored (their sha256 is recorded; default: ``save_raw("ubj")``)."""
    model = json.loads(bytes(booster.save_raw("json")))
    learner = model["learner"]
    gb = learner["gradient_booster"]
    if gb.get("name") != "gbtree":  # dart scales trees at prediction: left to xgboost
        return None
    trees, tree_info = gb["model"]["trees"], gb["model"]["tree_info"]
    n_features = int(learner["learner_model_param"]["num_feature"])
    n_classes = max(1, int(learner["learner_model_param"].get("num_class", "0") or 0))
    base = (
        json.loads(learner["learner_model_param"]["base_score"].replace("E", "e"))
        if learner["learner_model_param"]["base_score"].startswith("[")
        else [float(learner["learner_model_param"]["base_score"])] * n_classes
    )
    T = len(trees)
    feature = np.full((T, 3), n_features, np.int32)
    threshold = np.zeros((T, 3), np.float32)
    default_left = np.ones((T, 3), bool)
    ratio = np.full((T, 3), 0.5)  # share of the node's cover that goes left
    leaf = np.zeros((T, 4))  # LL, LR, RL, RR
    for t, tr in enumerate(trees):
        if not _read_tree(tr, t, feature, threshold, default_left, ratio, leaf):
            return None
    weights, player_feature = _shapley_tables(feature, ratio, leaf, n_features)
    tree_class = np.asarray(tree_info, dtype=np.int32) if n_classes > 1 else np.zeros(T, np.int32)
    return CompiledTrees(
        {
            "feature": feature,
            "threshold": threshold,
            "default_left": default_left,
            "weights": weights,
            "player_feature": player_feature,
            "tree_class": tree_class,
            "base_score": np.asarray(base, dtype=np.float64),
            "n_features": np.array(n_features),
            **_provenance(booster, raw, feature, threshold, n_features),
        }
    )


def _provenance(booster, raw, feature, threshold, n_features) -> dict:
    """The booster's sha256 and its own margins on probe rows that go both ways at its splits."""
    import hashlib

    import xgboost as xgb

    rng = np.random.default_rng(0)
    X = np.full((_PROBES, n_features), np.nan, dtype=np.float32)
    used = feature != n_features
    for j in range(n_features):
        cuts = threshold[used & (feature == j)]
        if len(cuts):
            pick = rng.choice(cuts, size=_PROBES - 1)
            X[1:, j] = pick + rng.choice([-0.5, 0.5], size=_PROBES - 1) * np.maximum(np.abs(pick), 1.0) * 0.01
        X[1:, j][rng.random(_PROBES - 1) < 0.3] = np.nan  # tests not done follow the default directions
    margins = booster.predict(xgb.DMatrix(X, missing=np.nan), output_margin=True).reshape(_PROBES, -1)
    raw = bytes(booster.save_raw("ubj")) if raw is None else raw
    return {
        "booster_sha256": np.array([hashlib.sha256(raw).hexdigest()]),
        "probe_X": X,
        "probe_margins": np.asarray(margins, dtype=np.float64),
    }


def _read_tree(tr: dict, t: int, feature, threshold, default_left, ratio, leaf) -> bool:
    """Fill row ``t`` of the tables from one tree of the booster's JSON; False when the tree is
    deeper than two levels or has a split other than numeric."""
    if any(s != 0 for s in tr["split_type"]):
        return False
    lc, rc = tr["left_children"], tr["right_children"]
    cover, cond, idx, dl = tr["sum_hessian"], tr["split_conditions"], tr["split_indices"], tr["default_left"]
    if lc[0] == -1:  # a single leaf
        leaf[t] = cond[0]
        return True
    nodes = [(0, 0)]
    for slot, child in ((1, lc[0]), (2, rc[0])):
        pair = slice(0, 2) if slot == 1 else slice(2, 4)
        if lc[child] == -1:
            leaf[t, pair] = cond[child]
            continue
        if not (lc[lc[child]] == -1 and lc[rc[child]] == -1):
            return False  # deeper than two levels
        nodes.append((slot, child))
        leaf[t, pair] = (cond[lc[child]], cond[rc[child]])
    for slot, i in nodes:
        feature[t, slot], threshold[t, slot], default_left[t, slot] = idx[i], cond[i], bool(dl[i])
        ratio[t, slot] = cover[lc[i]] / cover[i] if cover[i] > 0 else 0.5
    return True


def _shapley_tables(feature, ratio, leaf, n_features):
    """(weights (T, 8, 4), player_feature (T, 3)): exact Shapley values of the path-dependent
    value function v(S) (features in S follow the case, the others split by cover) for every
    combination of directions. A feature used at two splits of a tree is one player."""
    T = len(feature)
    f0, fa, fb = feature[:, 0], feature[:, 1], feature[:, 2]
    none = n_features
    pa = np.where(fa == f0, 0, 1)
    pb = np.where(fb == f0, 0, np.where((fb == fa) & (pa == 1), 1, 2))
    player = np.stack([np.zeros(T, int), pa, pb], axis=1)  # (T, 3) player of each slot
    player_feature = np.full((T, 3), none, np.int32)
    for slot in (2, 1, 0):
        player_feature[np.arange(T), player[:, slot]] = feature[:, slot]
    player_feature[player_feature < 0] = none
    combo = np.arange(8)
    d = np.stack([(combo >> 2) & 1, (combo >> 1) & 1, combo & 1], axis=1).astype(float)  # (8, 3)
    mask = np.arange(8)
    v = np.empty((T, 8, 8))
    for s in mask:  # v(S) for every tree and combination
        inS = ((s >> player) & 1).astype(bool)  # (T, 3)
        p = np.where(inS[:, None, :], d[None, :, :], ratio[:, None, :])  # (T, 8, 3) chance of going left
        v[:, :, s] = p[..., 0] * (p[..., 1] * leaf[:, None, 0] + (1 - p[..., 1]) * leaf[:, None, 1]) + (
            1 - p[..., 0]
        ) * (p[..., 2] * leaf[:, None, 2] + (1 - p[..., 2]) * leaf[:, None, 3])
    weights = np.zeros((T, 8, 4))
    for j in range(3):
        for s in mask:
            if (s >> j) & 1:
                continue
            weights[:, :, j] += _SHAPLEY_W[bin(s).count("1")] * (v[:, :, s | (1 << j)] - v[:, :, s])
    weights[:, :, 3] = v[:, :, 0]
    return weights, player_feature
