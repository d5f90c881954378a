"""xgboost's prediction of shallow boosted trees, compiled to tables: exact TreeSHAP and margins without xgboost.

A tree of depth two has three splits. Whatever a case's values, its path-dependent TreeSHAP
values (Lundberg et al. 2020, the algorithm behind xgboost's ``pred_contribs``) depend only on
the direction it takes at each of the three splits: 8 combinations. So the contributions of every
tree can be computed once, exactly (the Shapley formula over at most three players), and a case's
explanation is a lookup per tree and a sum. For this model (8,000 trees) that is about 1 ms for
one case instead of xgboost's 6-7 ms, and scoring one case needs neither xgboost nor its import.

The tables are a derived form of the booster: :func:`compile_booster` builds them from the
booster's own JSON, the bundle stores them next to ``booster.ubj`` (``trees.npz``, plain arrays,
read with ``allow_pickle=False``), and the tests hold them equal to xgboost's ``pred_contribs``
and margins on random cases. A derived file is a second representation of one model, so it
carries proof of what it was derived from: the sha256 of the booster's bytes and a set of probe
rows with the margins xgboost itself gave them. :meth:`CompiledTrees.check_derived_from` holds the
tables to both when a bundle is read, and the booster is held to the probe margins whenever it is
read itself (:meth:`CompiledTrees.check_booster`): the two files cannot disagree and still answer.

Splits follow xgboost's rules exactly: the case goes left when ``x < threshold`` in float32, and
a missing value (a test not done, NaN) takes the split's learned default direction.
"""

from __future__ import annotations

import io

import numpy as np

from ..exceptions import InputError
from ._unique import first_and_group, sorted_unique

# the largest stored weight, bias, intercept or log-odds of a classifier: a fit gives values of a
# few units on the log-odds scale; beyond this one term would outweigh any evidence (and a margin
# could overflow), so a bundle holding one was not written by netorigin's fits
MAX_WEIGHT = 1e4

MAX_DEPTH = 2  # the closed form below; deeper boosters are explained by xgboost itself
_ARRAYS = (
    "feature",
    "threshold",
    "default_left",
    "weights",
    "player_feature",
    "tree_class",
    "base_score",
    "n_features",
)
_PROVENANCE = ("booster_sha256", "probe_X", "probe_margins")  # what the tables were derived from
_PROBES = 48  # probe rows: all tests not done, then random values around the booster's own thresholds
_PROBE_ATOL = 1e-4  # margins of the tables vs xgboost's (float32 leaves summed in float64: ~1e-6 here)
MAX_NPZ_BYTES = 512 * 1024 * 1024  # uncompressed size of every array of a trees.npz together
_CHUNK = 128  # rows per block when explaining many cases (bounds memory: ~32 MB a block here)
_MARGIN_ROWS = 256  # rows per block of margins (bounds memory: a few MB a block here)
_EDITED_ROWS = 1024  # edited rows per block (bounds memory: ~30 MB a block here)
# Shapley weights for three players: |S|! (3 - |S| - 1)! / 3!
_SHAPLEY_W = {0: 1 / 3, 1: 1 / 6, 2: 1 / 3}


class CompiledTrees:
    """A depth-<=2 multi-class booster as tables (see the module docstring).

    Attributes
    ----------
    feature : (T, 3) int32
        Feature of the root and of its left and right children (``n_features`` = no split).
    threshold : (T, 3) float32
    default_left : (T, 3) bool
    weights : (T, 8, 4) float64
        For each tree and combination of directions (root, left child, right child; 1 = left,
        as bits 4, 2, 1): the Shapley value of the tree's up to three players, then its
        expected value (the tree's share of the bias).
    player_feature : (T, 3) int32
        The feature of each player (``n_features`` for a player the tree does not have).
    tree_class : (T,) int32
    base_score : (C,) float64
    """

    def __init__(self, arrays: dict):
        for name in _ARRAYS:
            if name not in arrays:
                raise InputError(f"trees.npz: the array {name!r} is missing")
        self.feature = np.asarray(arrays["feature"], dtype=np.int32)
        self.threshold = np.asarray(arrays["threshold"], dtype=np.float32)
        self.default_left = np.asarray(arrays["default_left"], dtype=bool)
        self.weights = np.asarray(arrays["weights"], dtype=np.float64)
        self.player_feature = np.asarray(arrays["player_feature"], dtype=np.int32)
        self.tree_class = np.asarray(arrays["tree_class"], dtype=np.int32)
        self.base_score = np.asarray(arrays["base_score"], dtype=np.float64)
        T = len(self.tree_class)
        shapes = {"feature": (T, 3), "threshold": (T, 3), "default_left": (T, 3), "weights": (T, 8, 4)}
        for name, shape in {**shapes, "player_feature": (T, 3)}.items():
            if getattr(self, name).shape != shape:
                raise InputError(f"trees.npz: {name} has shape {getattr(self, name).shape}; expected {shape}")
        self.n_classes = len(self.base_score)
        self.booster_sha256 = (
            str(np.asarray(arrays.get("booster_sha256", "")).reshape(-1)[0]) if "booster_sha256" in arrays else None
        )
        self.probe_X = np.asarray(arrays["probe_X"], dtype=np.float32) if "probe_X" in arrays else None
        self.probe_margins = (
            np.asarray(arrays["probe_margins"], dtype=np.float64) if "probe_margins" in arrays else None
        )
        self.n_features = int(np.asarray(arrays["n_features"]).reshape(-1)[0])
        self._check(T)
        # The bias (the trees' expected values) does not depend on the case: one constant per class.
        self._bias = self.base_score + np.bincount(
            self.tree_class, weights=self.weights[:, 0, 3], minlength=self.n_classes
        )
        self._index_slots()
        self._index_splits()
        self._index_leaves()

    def _check(self, T: int) -> None:
        """Refuse tables that name a feature or class the booster does not have, or hold a value that is not finite."""
        if T and (
            self.feature.min() < 0
            or self.feature.max() > self.n_features
            or self.player_feature.min() < 0
            or self.player_feature.max() > self.n_features
        ):
            raise InputError(f"trees.npz: a split names a feature outside 0..{self.n_features - 1}")
        if T and (self.tree_class.min() < 0 or self.tree_class.max() >= self.n_classes):
            raise InputError("trees.npz: a tree's class is outside the booster's classes")
        if not (np.abs(np.r_[self.weights.ravel(), self.base_score]) <= MAX_WEIGHT).all():  # also NaN
            raise InputError(f"trees.npz: the tables hold a value that is not finite or beyond +/-{MAX_WEIGHT:g}")

    def _index_slots(self) -> None:
        # The (tree, player) slots that can contribute, ordered by the output cell they add to, so
        # that a case's contributions are one gather and one segmented sum (the same bits alone
        # or in a batch).
        t, j = np.nonzero((self.player_feature != self.n_features) & np.any(self.weights[:, :, :3] != 0, axis=1))
        cell = self.tree_class[t].astype(np.int64) * self.n_features + self.player_feature[t, j]
        order = np.argsort(cell, kind="stable")
        t, j, cell = t[order], j[order], cell[order]
        self._slot_tree = t.astype(np.int32)
        self._slot_base = (np.arange(len(t)) * 8).astype(np.int32)
        self._slot_values = np.ascontiguousarray(self.weights[t, :, j]).ravel()  # (slots * 8,): slot-major
        self._starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]]) if len(cell) else np.zeros(0, np.intp)
        self._cells = cell[self._starts]

    def _index_splits(self) -> None:
        # Trees share splits (a 0/1 feature has one threshold): each distinct (feature, threshold,
        # default direction) is decided once per case. A "no split" slot reads feature 0 against
        # NaN: either direction gives the same leaf value, so its bit does not matter.
        feat = np.where(self.feature == self.n_features, 0, self.feature)
        thr = np.where(self.feature == self.n_features, np.float32(np.nan), self.threshold)
        keys = (
            (feat.ravel().astype(np.int64) << 33)
            | (thr.ravel().view(np.uint32).astype(np.int64) << 1)
            | self.default_left.ravel().astype(np.int64)
        )
        uniq, node_split = np.unique(keys, return_inverse=True)
        self._split_feature = (uniq >> 33).astype(np.intp)
        self._split_threshold = ((uniq >> 1) & 0xFFFFFFFF).astype(np.uint32).view(np.float32)
        self._split_default = (uniq & 1).astype(bool)
        self._node_split = node_split.reshape(-1, 3)

    def _index_leaves(self) -> None:
        # Margins: each tree's leaf for each combination of directions (its Shapley values plus its
        # expected value: the value of the leaf reached), trees grouped by class, summed class by
        # class in a fixed order (each case's sums alone or in a batch of any size: the same bits).
        order = np.argsort(self.tree_class, kind="stable")
        cls = self.tree_class[order]
        self._leaf_order = order
        self._leaf_values = np.ascontiguousarray(self.weights[order, :, :3].sum(axis=2) + self.weights[order, :, 3])
        self._leaf_base = (np.arange(len(order), dtype=np.intp) * 8)[:, None]
        self._leaf_starts = np.flatnonzero(np.r_[True, cls[1:] != cls[:-1]]) if len(cls) else np.zeros(0, np.intp)
        self._leaf_classes = cls[self._leaf_starts]
        # for each feature, the trees (in this order) that split on it: a case edited in a few
        # features changes only those trees' leaves
        feat = self.feature[order]
        self._trees_of = [np.flatnonzero((feat == f).any(axis=1)) for f in range(self.n_features)]

    # ------------------------------------------------------------------ evaluation
    def _combos(self, X: np.ndarray) -> np.ndarray:
        """(n, T) index of each tree's combination of directions for each case."""
        x = np.asarray(X, dtype=np.float32)[:, self._split_feature]  # (n, distinct splits)
        with np.errstate(invalid="ignore"):
            left = np.where(np.isnan(x), self._split_default[None], x < self._split_threshold[None]).astype(np.uint8)
        ns = self._node_split
        return (left[:, ns[:, 0]] << 2) | (left[:, ns[:, 1]] << 1) | left[:, ns[:, 2]]  # uint8

    def contributions(self, X: np.ndarray) -> np.ndarray:
        """(n, C, F + 1): per-class TreeSHAP values of every feature, then the bias; like
        xgboost's ``pred_contribs``. Each row adds up to the case's margins."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected {self.n_features} features, got an array of shape {X.shape}")
        n, C, F = len(X), self.n_classes, self.n_features
        out = np.zeros((n, C, F + 1))
        out[:, :, -1] = self._bias
        for start in range(0, n, _CHUNK):
            combos = self._combos(X[start : start + _CHUNK])
            if not len(self._starts):
                continue
            vals = self._slot_values.take(self._slot_base + np.take(combos, self._slot_tree, axis=1))  # (m, slots)
            sums = np.add.reduceat(vals, self._starts, axis=1)
            block = out[start : start + len(combos), :, :F].reshape(len(combos), C * F)
            block[:, self._cells] = sums
            out[start : start + len(combos), :, :F] = block.reshape(len(combos), C, F)
        return out

    def margins(self, X: np.ndarray) -> np.ndarray:
        """(n, C) margins: the base score plus the leaves reached, summed class by class (blocks of
        :data:`_MARGIN_ROWS` cases; every case's sums the same bits alone or in a batch)."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"expected {self.n_features} features, got an array of shape {X.shape}")
        out = np.tile(self.base_score, (len(X), 1))
        if not len(self._leaf_order):
            return out
        flat = self._leaf_values.ravel()
        ns = self._node_split[self._leaf_order]
        for start in range(0, len(X), _MARGIN_ROWS):
            x = np.asarray(X[start : start + _MARGIN_ROWS], dtype=np.float32)[:, self._split_feature].T  # (splits, m)
            with np.errstate(invalid="ignore"):
                left = np.where(np.isnan(x), self._split_default[:, None], x < self._split_threshold[:, None])
            left = left.astype(np.intp)
            combo = (left[ns[:, 0]] << 2) | (left[ns[:, 1]] << 1) | left[ns[:, 2]]  # (trees, m)
            sums = np.add.reduceat(flat.take(combo + self._leaf_base), self._leaf_starts, axis=0)  # (classes, m)
            out[start : start + len(x.T), self._leaf_classes] += sums.T
        return out

    def _leaf_change(self, X: np.ndarray, X_base: np.ndarray, trees: np.ndarray) -> np.ndarray:
        """(len(trees), n) the leaf each of ``trees`` (indices in margin order) reaches for each case
        of ``X`` minus the one it reaches for the same case of ``X_base``. Each distinct split of
        these trees is decided once per case, and a base case repeated on consecutive rows (one
        case's results, one after another) once."""
        ns = self._node_split[self._leaf_order[trees]]
        used = sorted_unique(ns.ravel())
        local = np.empty(len(self._split_feature), dtype=np.intp)
        local[used] = np.arange(len(used))
        ns = local[ns]
        bits = X_base.view(np.uint32)
        first = np.r_[True, np.any(bits[1:] != bits[:-1], axis=1)] if len(bits) else np.zeros(0, dtype=bool)
        before = self._leaf_values_at(X_base[first], used, ns, trees)[:, np.cumsum(first) - 1]
        return self._leaf_values_at(X, used, ns, trees) - before

    def _leaf_values_at(self, X: np.ndarray, used: np.ndarray, ns: np.ndarray, trees: np.ndarray) -> np.ndarray:
        """(len(trees), n) leaf values of ``trees`` for cases ``X`` (float32), their splits ``used``
        (``ns``: each tree's three nodes as positions in ``used``)."""
        x = X[:, self._split_feature[used]].T  # (used splits, n)
        with np.errstate(invalid="ignore"):
            left = np.where(np.isnan(x), self._split_default[used, None], x < self._split_threshold[used, None])
        left = left.astype(np.uint8)
        combo = (left[ns[:, 0]] << 2) | (left[ns[:, 1]] << 1) | left[ns[:, 2]]  # (trees, n)
        return self._leaf_values.ravel().take(combo + self._leaf_base[trees])

    def margins_edited(self, X: np.ndarray, X_base: np.ndarray, base_margins: np.ndarray) -> np.ndarray:
        """Margins of cases ``X`` that are the cases ``X_base`` (margins ``base_margins``) with a few
        features changed: the base margins plus the change of the leaves of the trees that split on
        a changed feature, class by class in a fixed order. Equal to :meth:`margins` of ``X`` up to
        the rounding of the sum (tested to 1e-12); each case the same bits alone or in a batch."""
        X, X_base = np.asarray(X, dtype=np.float32), np.asarray(X_base, dtype=np.float32)
        out = np.array(base_margins, dtype=np.float64, copy=True)
        changed = ~((X == X_base) | (np.isnan(X) & np.isnan(X_base)))
        first, group = _groups(np.packbits(changed, axis=1))
        for g, at in enumerate(first):
            feats = np.flatnonzero(changed[at])
            if not len(feats):
                continue
            trees = sorted_unique(np.concatenate([self._trees_of[f] for f in feats]))
            if not len(trees):
                continue
            cls = self.tree_class[self._leaf_order[trees]]
            starts = np.flatnonzero(np.r_[True, cls[1:] != cls[:-1]])
            group_rows = np.flatnonzero(group.ravel() == g)
            for lo in range(0, len(group_rows), _EDITED_ROWS):  # each case's sums whatever the block
                rows = group_rows[lo : lo + _EDITED_ROWS]
                delta = self._leaf_change(X[rows], X_base[rows], trees)  # (trees, rows)
                out[np.ix_(rows, cls[starts])] += np.add.reduceat(delta, starts, axis=0).T
        return out

    # ------------------------------------------------------------------ provenance
    def check_derived_from(self, booster_bytes: bytes) -> None:
        """Refuse tables that were not compiled from ``booster_bytes``: the booster's sha256 must be
        the one they record, and their margins on the probe rows the ones xgboost gave."""
        import hashlib

        if self.booster_sha256 is None or self.probe_X is None or self.probe_margins is None:
            raise InputError(
                "trees.npz: records no booster it was compiled from (written by an older netorigin); rebuild the bundle"
            )
        if hashlib.sha256(booster_bytes).hexdigest() != self.booster_sha256:
            raise InputError(
                "trees.npz: was compiled from another booster than this bundle's booster.ubj "
                "(the sha256 it records differs): the two files are not one model"
            )
        if self.probe_X.shape != (len(self.probe_X), self.n_features) or self.probe_margins.shape != (
            len(self.probe_X),
            self.n_classes,
        ):
            raise InputError("trees.npz: its probe rows do not fit its trees")
        if not np.allclose(self.margins(self.probe_X), self.probe_margins, rtol=0, atol=_PROBE_ATOL):
            raise InputError(
                "trees.npz: its tables do not give the margins xgboost gave on its probe rows (edited or damaged)"
            )

    def check_booster(self, booster) -> None:
        """Refuse a booster whose margins on the probe rows differ from the recorded ones."""
        import xgboost as xgb

        if booster.num_features() != self.n_features:
            raise InputError(
                f"booster.ubj: it reads {booster.num_features()} features, the trees trees.npz records for it "
                f"{self.n_features}: the two files are not one model (edited or damaged)"
            )
        got = booster.predict(xgb.DMatrix(self.probe_X, missing=np.nan), output_margin=True)
        got = np.asarray(got, dtype=np.float64).reshape(len(self.probe_X), -1)
        if got.shape != self.probe_margins.shape or not np.allclose(got, self.probe_margins, rtol=0, atol=_PROBE_ATOL):
            raise InputError(
                "booster.ubj: its margins differ from those trees.npz records for it: the two "
                "files are not one model (edited or damaged)"
            )

    # ------------------------------------------------------------------ storage
    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        arrays = {name: np.asarray(getattr(self, name)) for name in _ARRAYS}
        if self.booster_sha256 is not None:
            arrays.update(
                booster_sha256=np.array([self.booster_sha256]), probe_X=self.probe_X, probe_margins=self.probe_margins
            )
        np.savez(buf, **arrays)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> CompiledTrees:
        return cls(read_npz(data, "trees.npz"))


def _groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first row of each distinct row of the bytes ``keys``, each row's group): rows of at most 8
    bytes read as one integer (sorting integers, not byte strings)."""
    if keys.shape[1] <= 8:
        padded = np.zeros((len(keys), 8), dtype=np.uint8)
        padded[:, : keys.shape[1]] = keys
        return first_and_group(padded.view(np.uint64).ravel())
    return first_and_group(keys)


def read_npz(data: bytes, name: str, limit: int = MAX_NPZ_BYTES) -> dict:
    """The arrays of an ``.npz`` file, reading every array's header (its dtype and shape) before its
    data: object arrays, arrays whose size disagrees with their header and archives that would
    expand beyond ``limit`` bytes are refused before anything large is allocated."""
    import zipfile

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
        raise InputError(f"{name}: not readable as plain arrays ({e})") from None
    if sum(i.file_size for i in infos) > limit:
        raise InputError(f"{name}: its arrays would take more than {limit:,} bytes; not a netorigin file")
    arrays = {}
    with zf:
        for info in infos:
            key = info.filename.removesuffix(".npy")
            try:
                with zf.open(info) as fh:
                    version = np.lib.format.read_magic(fh)
                    shape, fortran, dtype = (
                        np.lib.format.read_array_header_1_0(fh)
                        if version == (1, 0)
                        else np.lib.format.read_array_header_2_0(fh)
                    )
                    if dtype.hasobject:
                        raise ValueError("an object array")
                    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
                    if size > info.file_size:
                        raise ValueError(f"header says {shape}, more than the file holds")
                    raw = fh.read(size + 1)
                if len(raw) != size:
                    raise ValueError(f"{len(raw)} bytes of data for a {shape} array")
                arr = np.frombuffer(raw, dtype=dtype).reshape(shape, order="F" if fortran else "C")
            except (ValueError, OSError, EOFError, zipfile.BadZipFile, RuntimeError) as e:
                raise InputError(f"{name}: array {key!r} is not a plain array ({e})") from None
            arrays[key] = arr
    return arrays
