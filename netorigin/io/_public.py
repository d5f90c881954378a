"""What the public-format readers (cBioPortal, GEO) share: bounded reading, tab-separated tables,
site labels in words, expression matrices. What each reader did to the data is returned as
notes (the transformation of the expression values, the site labels it could not place, the
samples without expression), never done silently.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..exceptions import InputError
from ._strict import decode_text, read_bounded

if TYPE_CHECKING:
    import pandas as pd

MAX_PUBLIC_FILE = 2 * 1024**3  # expression matrices are large; refuse only the absurd


def _text(path: Path) -> str:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: is not a regular file (a folder, a device or a pipe); expected a data file")
    return decode_text(read_bounded(path, MAX_PUBLIC_FILE, "public data file"), path)


def _tsv(lines: list[str], source, first_line: int = 1) -> pd.DataFrame:
    """Tab-separated lines (the first is the header) as text, refusing ragged rows by line."""
    import pandas as pd

    if not lines or not lines[0].strip():
        raise InputError(f"{source}: no header line")
    rows = [ln.rstrip("\r").split("\t") for ln in lines if ln.strip()]
    header = [h.strip().strip('"') for h in rows[0]]
    if len(set(header)) != len(header) or any(not h for h in header):
        raise InputError(f"{source}: the header has a blank or repeated column name: {header[:8]}")
    bad = [i for i, r in enumerate(rows[1:], start=1) if len(r) != len(header)]
    if bad:
        shown = ", ".join(f"line {first_line + i} has {len(rows[i])}" for i in bad[:5])
        raise InputError(f"{source}: {len(bad)} row(s) do not have the header's {len(header)} fields: {shown}")
    return pd.DataFrame([[v.strip().strip('"') for v in r] for r in rows[1:]], columns=header, dtype=object)


# Site labels of public data read by exact phrase only (case, spacing, "-", "_" and a trailing
# "neuroendocrine tumour", "NET" or "carcinoid" aside): never by a word inside a longer label, so that
# "Non-small intestine", "not pancreas" or "Pancreatic metastasis to lung" are never read as a site.
# Phrase -> (site, sub-site or None when the label names the site only).
SITE_PHRASES = {
    **{w: ("ileal", "ileum") for w in ("ileum", "ileal", "terminal ileum", "distal ileum")},
    **{w: ("ileal", "jejunum") for w in ("jejunum", "jejunal")},
    **{
        w: ("ileal", None)
        for w in (
            "small intestine",
            "small intestinal",
            "small bowel",
            "si",
            "sbnet",
            "si net",
            "sinet",
            "jejunoileal",
            "jejuno ileal",
            "ileojejunal",
        )
    },
    **{w: ("pancreatic", "pancreas") for w in ("pancreas", "pancreatic", "panet", "pnet", "pannet")},
    **{w: ("other", "lung") for w in ("lung", "bronchus", "bronchial", "pulmonary", "lung bronchus")},
    **{w: ("other", "rectum") for w in ("rectum", "rectal")},
    **{w: ("other", "colon") for w in ("colon", "colonic")},
    **{w: ("other", "caecum") for w in ("caecum", "cecum", "cecal", "caecal")},
    **{w: ("other", "appendix") for w in ("appendix", "appendiceal")},
    **{w: ("other", "stomach") for w in ("stomach", "gastric")},
    **{w: ("other", "duodenum") for w in ("duodenum", "duodenal")},
}
_TUMOUR_WORDS = (
    "neuroendocrine tumour",
    "neuroendocrine tumor",
    "neuroendocrine neoplasm",
    "carcinoid tumour",
    "carcinoid tumor",
    "carcinoid",
    "net",
    "nets",
    "primary",
)
SHOWN_LABEL = 60  # characters of a free-text label quoted in a note


def site_of_label(value) -> tuple[str, str | None] | None:
    """(site, sub-site or None) of a free-text primary-site label, or None when it is not one.

    >>> site_of_label("Small Intestine"), site_of_label("Pancreatic NET"), site_of_label("Non-small intestine")
    (('ileal', None), ('pancreatic', 'pancreas'), None)
    """
    if value is None:
        return None
    text = " ".join(re.sub(r"[-_/,.;:()]+", " ", str(value).lower()).split())
    if text in SITE_PHRASES:
        return SITE_PHRASES[text]
    for words in _TUMOUR_WORDS:
        if text.endswith(" " + words) and text[: -len(words) - 1] in SITE_PHRASES:
            return SITE_PHRASES[text[: -len(words) - 1]]
    return None


def _quote(label) -> str:
    text = str(label)
    return repr(text if len(text) <= SHOWN_LABEL else text[:SHOWN_LABEL] + "...")


def _labels(raw: pd.Series, where: str, notes: list) -> tuple[np.ndarray, np.ndarray]:
    """(primary_site, primary_site_detail) of free-text labels, with notes on what was left unlabelled
    and what names a site but not its sub-site."""
    read = [site_of_label(v) if str(v).strip() else None for v in raw]
    site = np.array([r[0] if r else "" for r in read], dtype=object)
    detail = np.array([(r[1] or "") if r else "" for r in read], dtype=object)
    blank = raw.astype(str).str.strip().eq("").to_numpy()
    unplaced = raw[(site == "") & ~blank]
    if len(unplaced):
        shown = ", ".join(_quote(x) for x in sorted(set(unplaced))[:8])
        notes.append(
            f"site labels in {where} that are not a site or sub-site of the contract, left unlabelled "
            f"({len(unplaced)} sample(s)): {shown}"
        )
    site_only = raw[(site != "") & (detail == "")]
    if len(site_only):
        shown = ", ".join(f"{_quote(x)} -> {site_of_label(x)[0]}" for x in sorted(set(site_only))[:8])
        notes.append(
            f"{len(site_only)} sample(s) name the site but not the sub-site ({shown}): primary_site set, "
            "primary_site_detail left blank"
        )
    return site, detail


def _expression(matrix: pd.DataFrame, genes, all_genes: bool, how: str, notes: list) -> pd.DataFrame:
    """(samples x expr_<gene>) in log2(TPM + 1), from a (genes x samples) matrix."""

    genes = [str(g).upper().removeprefix("EXPR_") for g in genes]
    matrix = matrix[~matrix.index.duplicated(keep="first")]
    keep = matrix.index if all_genes else [g for g in (x.upper() for x in genes) if g in matrix.index]
    missing = [] if all_genes else [g for g in (x.upper() for x in genes) if g not in matrix.index]
    if missing:
        notes.append(f"gene(s) not in the expression file, left not done: {', '.join(missing)}")
    values = _numbers(matrix.loc[keep], notes)
    finite = values.to_numpy(dtype=float)[np.isfinite(values.to_numpy(dtype=float))]
    if how == "linear" or (how == "auto" and finite.size and finite.max() > 50):
        values = np.log2(values.clip(lower=0) + 1)
        notes.append("expression: linear values transformed to log2(x + 1)")
    else:
        notes.append(
            "expression: values taken as already on a log2 scale (largest value "
            f"{finite.max() if finite.size else float('nan'):.1f}); no transformation"
        )
    out = values.T
    out.columns = [f"expr_{str(g).lower()}" for g in out.columns]
    return out.round(4)


def _numbers(text: pd.DataFrame, notes: list) -> pd.DataFrame:
    """The matrix's cells read as the contract reads a number; a not-done word (NA, null, a blank)
    is not done, and a cell that is neither (12,5) is not done too, counted and shown in the notes."""
    import pandas as pd

    from ..contract import is_not_done, read_number

    flat = text.astype(object).to_numpy().ravel()
    read = np.array(pd.to_numeric(pd.Series(flat, dtype=object), errors="coerce"), dtype=float)
    unread = np.zeros(len(flat), dtype=bool)
    for i in np.flatnonzero(~np.isfinite(read)):  # plain decimals above; the rest by the contract's rule
        x = None if is_not_done(flat[i]) else read_number(flat[i])
        read[i] = np.nan if x is None else x
        unread[i] = x is None and not is_not_done(flat[i])
    if unread.any():
        shown = ", ".join(repr(str(v)) for v in list(dict.fromkeys(flat[unread]))[:5])
        notes.append(f"{int(unread.sum()):,} expression value(s) that are not numbers left not done: {shown}")
    return pd.DataFrame(read.reshape(text.shape), index=text.index, columns=text.columns)


def _join_notes(case_ids, expression_ids, name: str, notes: list) -> None:
    """Say which samples have no expression column, and which expression columns match no sample."""
    without = sorted(set(case_ids) - set(expression_ids))
    if without:
        notes.append(f"{len(without)} sample(s) have no expression column in {name}: not done for them")
    orphans = sorted(set(expression_ids) - set(case_ids))
    if orphans:
        notes.append(
            f"{len(orphans)} expression column(s) of {name} match no sample and were not used: "
            + ", ".join(_quote(o) for o in orphans[:5])
        )
