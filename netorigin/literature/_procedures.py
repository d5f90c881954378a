"""Procedures in the cell model: what a result says about the cell's sub-site.

A procedure P looks at a few places (``netorigin.contract.PROCEDURES``). In a cell whose sub-site
it can see, it sees the primary with probability ``sens`` (``rate:P=seen``, by sub-site), and the
record shows that lesion confirmed by histology with probability ``conf``
(``rate:P=confirmed|seen``). When it does not see the primary it reports a lesion that is not the
primary with probability ``fp`` (``rate:P=false_positive``) at one of its places (each as likely),
confirmed with probability ``fc`` (``rate:proc=confirmed|false_positive``, shared). So

    P(negative | cell)          = (1 - sens) (1 - fp)
    P(seen at place L | cell)   = sens [cell in L] (1 - conf) + (1 - sens) fp / k (1 - fc)
    P(confirmed at L | cell)    = sens [cell in L] conf       + (1 - sens) fp / k fc

(``k`` places). Given its cell a procedure's result is independent of every other finding (the cell
model's structure), and "not done" contributes nothing. A confirmed primary all but settles the
site (its likelihood ratio is sens conf k / (fp fc) against a site the procedure can see); a
negative result counts against the sites the procedure would have seen.

A model whose parameter rows have no row of a procedure does not know it (a model built before
procedures existed): its likelihood has no term for it, and :func:`known_procedures` says so.
"""

from __future__ import annotations

import numpy as np

from ..contract import PLACES, PROCEDURE_FIELDS, PROCEDURES
from ..exceptions import InputError

SHARED_FALSE_CONFIRMED = "rate:proc=confirmed|false_positive"


def procedure_parameters(field: str) -> tuple[str, str, str]:
    """(sensitivity, confirmed-if-seen, false-positive) parameter names of procedure ``field``."""
    return f"rate:{field}=seen", f"rate:{field}=confirmed|seen", f"rate:{field}=false_positive"


def is_procedure_parameter(name: str) -> bool:
    return name.startswith("rate:proc_") or name == SHARED_FALSE_CONFIRMED


def known_procedures(model) -> tuple[str, ...]:
    """The procedures a cell model has parameters for (every one, in a model built now)."""
    return tuple(f for f in PROCEDURE_FIELDS if procedure_parameters(f)[0] in model.arrays)


def check_procedures(model) -> None:
    """Every procedure fully given or not at all; rates in [0, 1]; no sensitivity for a sub-site
    the procedure cannot see. Refused with the parameter named otherwise."""
    have = [f for f in PROCEDURE_FIELDS if any(p in model.arrays for p in procedure_parameters(f))]
    if have and SHARED_FALSE_CONFIRMED not in model.arrays:
        raise InputError(f"synthetic parameters: {SHARED_FALSE_CONFIRMED!r} is missing (procedures are given)")
    for f in have:
        for p in (*procedure_parameters(f), SHARED_FALSE_CONFIRMED):
            arr = model.arrays.get(p)
            if arr is None or np.isnan(arr).any():
                raise InputError(f"synthetic parameters: {p!r} has no value for every cell ({f} is given)")
            if ((arr < 0) | (arr > 1)).any():
                raise InputError(f"synthetic parameters: {p!r} must be a rate between 0 and 1")
        sens = model.arrays[procedure_parameters(f)[0]]
        sees = set(PROCEDURES[f].subsites)
        blind = [lab for (_, sub, _), lab, s in zip(model.cells, model.labels(), sens) if sub not in sees and s > 0]
        if blind:
            raise InputError(
                f"synthetic parameters: {procedure_parameters(f)[0]!r} is above 0 for {', '.join(blind)}, "
                f"which {PROCEDURES[f].label} cannot see"
            )


def places_of(model, field: str) -> np.ndarray:
    """(cells, places) whether each cell's sub-site lies in each place of the procedure."""
    proc = PROCEDURES[field]
    return np.array([[c[1] in PLACES[p] for p in proc.places] for c in model.cells], dtype=float)


def procedure_table(model, field: str) -> np.ndarray:
    """(cells, values of the field): P(result | cell), each row summing to 1."""
    sens_p, conf_p, fp_p = procedure_parameters(field)
    member = places_of(model, field)
    sens = model.arrays[sens_p] * member.any(axis=1)
    conf, fp, fc = model.arrays[conf_p], model.arrays[fp_p], model.arrays[SHARED_FALSE_CONFIRMED]
    k = member.shape[1]
    false = ((1 - sens) * fp / k)[:, None]
    seen = sens[:, None] * member
    cols = [(1 - sens) * (1 - fp)]
    for j in range(k):
        cols.append(seen[:, j] * (1 - conf) + false[:, 0] * (1 - fc))
        cols.append(seen[:, j] * conf + false[:, 0] * fc)
    return np.column_stack(cols)


def true_detection(model, field: str, codes: np.ndarray) -> np.ndarray:
    """(n, cells) the chance that each recorded result is the primary itself, seen by the procedure
    (not a false lesion), given the cell: 0 for a negative result; what EM's M-step counts."""
    sens_p, conf_p, fp_p = procedure_parameters(field)
    member = places_of(model, field)
    sens = model.arrays[sens_p] * member.any(axis=1)
    conf, fp, fc = model.arrays[conf_p], model.arrays[fp_p], model.arrays[SHARED_FALSE_CONFIRMED]
    k = member.shape[1]
    out = np.zeros((len(codes), model.n_cells))
    has = codes > 0
    if not has.any():
        return out
    place = (codes[has] - 1) // 2
    confirmed = (codes[has] - 1) % 2 == 1
    a = sens[None, :] * member.T[place] * np.where(confirmed[:, None], conf[None, :], 1 - conf[None, :])
    b = ((1 - sens) * fp / k)[None, :] * np.where(confirmed[:, None], fc[None, :], 1 - fc[None, :])
    with np.errstate(invalid="ignore", divide="ignore"):
        out[has] = np.where(a + b > 0, a / (a + b), 0.0)
    return out
