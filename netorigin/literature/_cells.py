"""The literature's cell model: per-cell rates and distributions of every field, as arrays.

A *cell* is (site, sub-site, phenotype): e.g. ``pancreatic / pancreas / alt`` (the ALT-positive,
DAXX/ATRX-lost pancreatic tumours) or ``ileal / ileum / syndromic``. Given its cell, every field
is drawn independently from its cell's distribution, so the literature's correlations
(CDX2 with serotonin and the syndrome, ALT with DAXX/ATRX loss, ISL1 with PAX8 in rectum and
duodenum) come from the cells. The same arrays give the exact Bayes posterior.

A parameter row applies to the most specific site key that matches a cell:
``subsite/phenotype`` > ``subsite`` > ``site`` > ``*``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import NormalDist
from typing import TYPE_CHECKING

import numpy as np

from ..contract import DEFAULT_EXPRESSION_GENES, MARKERS, MITOSES_BANDS, SITES, SUBSITES, positive_value
from ..exceptions import InputError
from ._params import records_of, scenario_mix, scenario_names

if TYPE_CHECKING:
    pass
# two-valued fields: (field, value the rate is for, the other value)
BINARY = (
    ("sex", "female", "male"),
    ("carcinoid_syndrome", "yes", "no"),
    ("mesenteric_mass", "yes", "no"),
    ("bone_metastases", "yes", "no"),
    ("sstr_imaging", "positive", "negative"),
    ("alt_status", "positive", "negative"),
    ("ihc_daxx_atrx", positive_value("ihc_daxx_atrx"), "retained"),
)
# multi-valued: (field, values with a rate, the remainder value)
MULTI = (
    ("hormonal_syndrome", ("insulinoma", "gastrinoma", "glucagonoma", "vipoma", "other"), "none"),
    ("liver_lesions", ("solitary", "oligo"), "multiple"),
)


@dataclass(frozen=True)
class Continuous:
    """A rounded, clipped continuous field: normal (``log=False``) or lognormal."""

    field: str
    log: bool
    decimals: int
    low: float
    high: float


CONTINUOUS = (
    Continuous("age_years", False, 0, 18, 95),
    Continuous("ki67_percent", True, 1, 0.1, 100),
    Continuous("largest_liver_lesion_cm", True, 1, 0.3, 25),
    Continuous("expr_cd302", False, 2, 0, 30),
    Continuous("expr_ppwd1", False, 2, 0, 30),
    Continuous("serum_cga_x_uln", True, 2, 0.01, 1000),
    Continuous("urine_5hiaa_x_uln", True, 2, 0.01, 1000),
)
# biochemistry: the category is "elevated" exactly when the rounded fold of ULN is above 1
BIOCHEM = (("serum_cga", "serum_cga_x_uln"), ("urine_5hiaa", "urine_5hiaa_x_uln"))
ELEVATED_FROM = 1.005  # rounded to 2 decimals, x > 1.00 means x >= 1.005 unrounded
KI67_BANDS = (2.95, 20.05)  # rounded to 0.1: < 3 is G1, 3-20 is G2, > 20 is G3
MITOSES = MITOSES_BANDS


@dataclass
class Model:
    """Per-cell parameter arrays (length = number of cells)."""

    cells: list[tuple[str, str, str]]
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    governs: dict[str, list[str]] = field(default_factory=dict)  # param -> governing key per cell
    phenotype_weight: np.ndarray | None = None

    @property
    def n_cells(self) -> int:
        return len(self.cells)

    @property
    def cell_site(self) -> np.ndarray:
        if "_cell_site" not in self.__dict__:
            self.__dict__["_cell_site"] = np.array([SITES.index(c[0]) for c in self.cells])
        return self.__dict__["_cell_site"]

    @property
    def procedures(self) -> tuple[str, ...]:
        """The procedures this model has parameters for (:mod:`netorigin.literature._procedures`)."""
        from ._procedures import known_procedures

        return known_procedures(self)

    def labels(self) -> list[str]:
        return [f"{s}/{p}" if p else s for _, s, p in self.cells]

    def __getitem__(self, param: str) -> np.ndarray:
        return self.arrays[param]


def _keys(cell: tuple[str, str, str]) -> list[str]:
    site, sub, ph = cell
    return ([f"{sub}/{ph}"] if ph else []) + [sub, site, "*"]


def build_model(params, where="parameters.csv") -> Model:
    """Resolve the parameter table (records, or a pandas table) into per-cell arrays; refuse gaps
    and values out of range with a clear error naming ``where`` (the table's file)."""
    rows = records_of(params)
    table = {(r["parameter"], r["site"]): float(r["value"]) for r in rows}
    phen = [r for r in rows if r["parameter"] == "phenotype"]
    cells: list[tuple[str, str, str]] = []
    weights: list[float] = []
    for site in SITES:
        for sub in SUBSITES[site]:
            mine = [r for r in phen if str(r["site"]).startswith(sub + "/")]
            if not mine:
                cells.append((site, sub, ""))
                weights.append(1.0)
                continue
            total = sum(float(r["value"]) for r in mine)
            if not all(0 <= float(r["value"]) <= 1 for r in mine) or abs(total - 1) > 0.01:
                raise InputError(f"{where}: phenotype weights of {sub} sum to {total:.4f}, not 1 (each from 0 to 1)")
            for r in mine:
                cells.append((site, sub, r["site"].split("/", 1)[1]))
                weights.append(float(r["value"]) / total)
    model = Model(cells=cells, phenotype_weight=np.array(weights))
    names = sorted({p for p, _ in table if p != "phenotype"})
    for name in names:
        vals, keys = [], []
        for cell in cells:
            key = next((k for k in _keys(cell) if (name, k) in table), None)
            vals.append(table[(name, key)] if key is not None else np.nan)
            keys.append(key)
        model.arrays[name] = np.array(vals)
        model.governs[name] = keys
    _require(model, where)
    _derive(model, where)
    from ._procedures import check_procedures

    check_procedures(model)
    return model


def required_parameters() -> list[str]:
    req = [
        "mean:age_years",
        "sd:age_years",
        "median:ki67_percent",
        "log_sd:ki67_percent",
        "median:largest_liver_lesion_cm",
        "log_sd:largest_liver_lesion_cm",
        "mean:expr_cd302",
        "sd:expr_cd302",
        "mean:expr_ppwd1",
        "sd:expr_ppwd1",
        "rate:ihc=equivocal",
        "rate:mitoses_per_2mm2=<2|grade=G1",
        "rate:mitoses_per_2mm2=2-20|grade=G2",
        "rate:mitoses_per_2mm2=2-20|grade=G3",
        "rate:mitoses_per_2mm2=>20|grade=G3",
    ]
    req += [f"rate:{m}=positive" for m in MARKERS]
    req += [f"rate:{f}={v}" for f, v, _ in BINARY]
    req += [f"rate:{f}={v}" for f, vals, _ in MULTI for v in vals]
    req += [f"rate:{c}=elevated" for c, _ in BIOCHEM] + [f"log_sd:{x}" for _, x in BIOCHEM]
    return req


def _require(model: Model, where) -> None:
    """Every required parameter has a value for every cell, within what it can be: a rate from 0
    to 1 (a field's rates adding up to at most 1), a mean or median within the range its field is
    clipped to, a spread above 0 and no wider than that range."""
    for name in required_parameters():
        arr = model.arrays.get(name)
        if arr is None or np.isnan(arr).any():
            missing = [
                lab
                for lab, v in zip(model.labels(), arr if arr is not None else [np.nan] * model.n_cells)
                if np.isnan(v)
            ]
            raise InputError(f"{where}: {name!r} has no value for {', '.join(missing)}")
        low, high = _allowed(name)
        above = name.split(":")[0] in _ABOVE
        bad = ~((arr > low if above else arr >= low) & (arr <= high))
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            span = f"above {low:g} and at most {high:g}" if above else f"from {low:g} to {high:g}"
            raise InputError(f"{where}: {name!r} for {model.labels()[j]}: {float(arr[j])!r} is not a number {span}")
    for f, vals, _ in MULTI:
        tot = sum(model[f"rate:{f}={v}"] for v in vals)
        if (tot > 1 + 1e-9).any():
            raise InputError(f"{where}: the rates of {f} add up to more than 1")


_ABOVE = ("sd", "log_sd", "median")  # spreads and lognormal medians: above their lower bound


def _allowed(name: str) -> tuple[float, float]:
    """(low, high) of a required parameter (a rate, or a continuous field's location or spread)."""
    kind, _, fld = name.partition(":")
    if kind == "rate":
        return 0.0, 1.0
    c = next(c for c in CONTINUOUS if c.field == fld)
    if kind in ("mean", "median"):
        return (c.low, c.high) if kind == "mean" else (max(c.low, 0.0), c.high)
    if kind == "sd":
        return 0.0, c.high - c.low
    return 0.0, float(np.log(c.high / c.low))  # log_sd


def _derive(model: Model, where="parameters.csv") -> None:
    """Location/scale of every continuous field on the scale it is drawn (log for lognormals)."""
    inv = NormalDist().inv_cdf
    a = model.arrays
    a["loc:age_years"], a["scale:age_years"] = a["mean:age_years"], a["sd:age_years"]
    for f in ("ki67_percent", "largest_liver_lesion_cm"):
        a[f"loc:{f}"], a[f"scale:{f}"] = np.log(a[f"median:{f}"]), a[f"log_sd:{f}"]
    for f in DEFAULT_EXPRESSION_GENES:
        a[f"loc:{f}"], a[f"scale:{f}"] = a[f"mean:{f}"], a[f"sd:{f}"]
    for cat, x in BIOCHEM:
        rate = np.clip(a[f"rate:{cat}=elevated"], 1e-6, 1 - 1e-6)
        s = a[f"log_sd:{x}"]
        a[f"loc:{x}"] = np.log(ELEVATED_FROM) - s * np.array([inv(1 - r) for r in rate])
        a[f"scale:{x}"] = s
    g2, g3 = a["rate:mitoses_per_2mm2=2-20|grade=G2"], a["rate:mitoses_per_2mm2=>20|grade=G3"]
    g3b = a["rate:mitoses_per_2mm2=2-20|grade=G3"]
    if (g3 + g3b > 1 + 1e-9).any():
        raise InputError(f"{where}: mitoses rates for G3 add up to more than 1")
    g1 = a["rate:mitoses_per_2mm2=<2|grade=G1"]
    # P(mitotic band | grade): rows grade G1..G3, columns <2, 2-20, >20 (same for every cell)
    model.arrays["mitoses_given_grade"] = np.array(
        [
            [g1[0], 1 - g1[0], 0.0],
            [1 - g2[0], g2[0], 0.0],
            [1 - g3[0] - g3b[0], g3b[0], g3[0]],
        ]
    )


def scenario_weights(model: Model, scenarios, scenario: str) -> np.ndarray:
    """Prior weight of every cell under ``scenario`` (class prior x sub-site share x phenotype);
    ``scenarios``: the scenario rows (records, or a pandas table)."""
    names = scenario_names(scenarios)
    if scenario not in names:
        raise InputError(f"scenario: {scenario!r} is not one of {', '.join(names)}")
    cls, sub = scenario_mix(scenarios, scenario)
    missing = [s for s in SITES if s not in cls] + [s for ss in SUBSITES.values() for s in ss if s not in sub]
    if missing:
        raise InputError(f"scenario {scenario!r}: no weight for {', '.join(missing)}")
    ctot = sum(cls.values())
    w = []
    for (site, s, _), pw in zip(model.cells, model.phenotype_weight):
        stot = sum(sub[x] for x in SUBSITES[site])
        w.append(cls[site] / ctot * (sub[s] / stot if stot > 0 else 0) * pw)
    return np.array(w)
