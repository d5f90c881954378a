"""Procedures that look for the primary, as findings: what each can see, the values a result takes
and how a written result is read.

A procedure's result is one category: ``negative`` (it looked and saw no primary), ``seen_<where>``
(a lesion it took for the primary, not confirmed by histology) or ``confirmed_<where>`` (seen and
confirmed by histology), ``<where>`` being one of the places that procedure can see (a capsule
cannot see the pancreas). Not done is not a value: it is left blank, never read as negative.

Each place is one or more sub-sites of the contract (``small_bowel``: ileum or jejunum). A result
written in other words ("pancreatic tail lesion", "biopsy-proven rectal NET", "no primary seen") is
read by :data:`PROCEDURE_RULE` and shown back to the user; a result that names a place the
procedure cannot see, or mixes a negation with a place ("no pancreatic lesion"), is refused with
what was expected.
"""

from __future__ import annotations

import re

# place -> the sub-sites of the contract it covers (netorigin.contract.SUBSITES)
PLACES = {
    "small_bowel": ("ileum", "jejunum"),
    "terminal_ileum": ("ileum",),
    "pancreas": ("pancreas",),
    "stomach": ("stomach",),
    "duodenum": ("duodenum",),
    "caecum": ("caecum",),
    "colon": ("colon",),
    "rectum": ("rectum",),
    "lung": ("lung",),
}

# place -> plain words
PLACE_WORDS = {
    "small_bowel": "small bowel",
    "terminal_ileum": "terminal ileum",
    "pancreas": "pancreas",
    "stomach": "stomach",
    "duodenum": "duodenum",
    "caecum": "caecum",
    "colon": "colon",
    "rectum": "rectum",
    "lung": "lung",
}

# place -> how reports write it (compared after normalising: lower case, punctuation as spaces)
_PLACE_SPELLINGS = {
    "small_bowel": (
        "small bowel",
        "small intestine",
        "small intestinal",
        "sb",
        "si",
        "ileum",
        "ileal",
        "jejunum",
        "jejunal",
        "jejunoileal",
        "distal ileum",
        "terminal ileum",
        "enteric",
    ),
    "terminal_ileum": ("terminal ileum", "ti", "ileum", "ileal", "ileocaecal valve", "ileocecal valve", "neo ileum"),
    "pancreas": (
        "pancreas",
        "pancreatic",
        "pancreatic head",
        "pancreatic body",
        "pancreatic tail",
        "pancreatic neck",
        "head of pancreas",
        "tail of pancreas",
        "body of pancreas",
        "uncinate",
        "uncinate process",
    ),
    "stomach": ("stomach", "gastric", "gastric body", "antrum", "fundus"),
    "duodenum": ("duodenum", "duodenal", "ampulla", "ampullary", "periampullary", "papilla"),
    "caecum": ("caecum", "cecum", "caecal", "cecal"),
    "colon": (
        "colon",
        "colonic",
        "sigmoid",
        "sigmoid colon",
        "ascending colon",
        "transverse colon",
        "descending colon",
    ),
    "rectum": ("rectum", "rectal", "rectosigmoid"),
    "lung": ("lung", "lungs", "pulmonary", "bronchus", "bronchial", "endobronchial"),
}


class Procedure:
    """One procedure: its field, plain words, description and the places it can see."""

    def __init__(self, name: str, label: str, description: str, places: tuple[str, ...], synonyms: tuple[str, ...]):
        self.name, self.label, self.description, self.places = name, label, description, places
        self.column_names = synonyms  # what cohort files call the column (mapping suggestions)

    @property
    def values(self) -> tuple[str, ...]:
        """``negative``, then ``seen_<place>`` and ``confirmed_<place>`` of each place."""
        return ("negative", *(f"{kind}_{p}" for p in self.places for kind in ("seen", "confirmed")))

    @property
    def subsites(self) -> tuple[str, ...]:
        """Every sub-site the procedure can see."""
        return tuple(dict.fromkeys(s for p in self.places for s in PLACES[p]))


PROCEDURES = {
    p.name: p
    for p in (
        Procedure(
            "proc_sstr_pet",
            "SSTR PET/CT or scintigraphy",
            "somatostatin-receptor PET/CT or scintigraphy read for a primary",
            ("small_bowel", "pancreas", "stomach", "duodenum", "caecum", "colon", "rectum", "lung"),
            ("sstr pet primary", "pet primary", "dotatate primary", "primary on pet", "octreoscan primary"),
        ),
        Procedure(
            "proc_ct_mri",
            "CT/MRI of abdomen and pelvis",
            "CT or MRI of the abdomen and pelvis (with CT or MR enterography where done) read for a primary",
            ("small_bowel", "pancreas", "stomach", "duodenum", "caecum", "colon", "rectum"),
            ("ct primary", "mri primary", "ct mri primary", "ct enterography", "mr enterography", "cross sectional"),
        ),
        Procedure(
            "proc_eus",
            "endoscopic ultrasound (EUS)",
            "endoscopic ultrasound of the pancreas and duodenum",
            ("pancreas", "duodenum"),
            ("eus", "endoscopic ultrasound", "endosonography", "eus pancreas"),
        ),
        Procedure(
            "proc_upper_endoscopy",
            "upper endoscopy",
            "upper endoscopy (gastroscopy, OGD/EGD) of the stomach and duodenum",
            ("stomach", "duodenum"),
            ("ogd", "egd", "gastroscopy", "upper endoscopy", "upper gi endoscopy", "oesophagogastroduodenoscopy"),
        ),
        Procedure(
            "proc_colonoscopy",
            "colonoscopy",
            "colonoscopy, with the terminal ileum where it was reached",
            ("terminal_ileum", "caecum", "colon", "rectum"),
            ("colonoscopy", "lower endoscopy", "lower gi endoscopy", "ileocolonoscopy"),
        ),
        Procedure(
            "proc_capsule",
            "capsule endoscopy",
            "small-bowel capsule endoscopy",
            ("small_bowel",),
            ("capsule", "capsule endoscopy", "video capsule", "vce", "sbce"),
        ),
        Procedure(
            "proc_enteroscopy",
            "device-assisted enteroscopy",
            "device-assisted (double- or single-balloon, spiral) enteroscopy of the small bowel",
            ("small_bowel",),
            ("enteroscopy", "dbe", "double balloon enteroscopy", "balloon enteroscopy", "push enteroscopy"),
        ),
        Procedure(
            "proc_chest_ct",
            "chest CT or bronchoscopy",
            "chest CT or bronchoscopy read for a lung primary",
            ("lung",),
            ("chest ct", "ct chest", "thorax ct", "bronchoscopy"),
        ),
    )
}
PROCEDURE_FIELDS = tuple(PROCEDURES)

PROCEDURE_RULE = (
    "a result that names a place is read as a lesion seen there, not confirmed, unless it says confirmed, "
    "biopsy-proven or histology"
)

_NEGATIVE = (
    "neg",
    "negative",
    "-",
    "\u2212",
    "no primary",
    "no primary seen",
    "no primary found",
    "no primary identified",
    "primary not seen",
    "primary not found",
    "not seen",
    "no lesion",
    "no lesion seen",
    "no lesions",
    "no tumour",
    "no tumor",
    "no tumour seen",
    "no tumor seen",
    "nothing seen",
    "nothing found",
    "normal",
    "unremarkable",
    "none seen",
    "no evidence of primary",
    "no evidence of a primary",
    "no suspicious lesion",
    "negative for primary",
    "negative for a primary",
    "no primary tumour",
    "no primary tumor",
    "no primary lesion",
    "no lesion found",
    "no abnormality",
    "no abnormality detected",
    "nad",
)
_UNCONFIRMED = (
    "not confirmed",
    "unconfirmed",
    "not yet confirmed",
    "biopsy pending",
    "histology pending",
    "no histology",
)
_CONFIRMED = (
    "confirmed",
    "biopsy proven",
    "histology proven",
    "histologically proven",
    "histologically confirmed",
    "biopsy confirmed",
    "proven",
    "histology",
    "biopsy positive",
)
_SEEN_WORDS = frozenset(
    "seen lesion lesions mass primary suspicious suspected suspect uptake avid positive pos nodule thickening tumour "
    "tumor focus possible likely probable net carcinoid finding found identified visualised visualized at in of the "
    "a an on with".split()
)
_NEGATION = frozenset("no not without negative neg absent none nil".split())


def normalise(text: str) -> str:
    """A written result in lower case, punctuation as spaces ("EUS: pancreatic-tail lesion" ->
    "eus pancreatic tail lesion")."""
    return " ".join(re.sub(r"[_:;,()\[\]/.+\-]+", " ", str(text).lower()).split())


_NEGATIVE_WORDS = frozenset(normalise(s) for s in _NEGATIVE if normalise(s))


def procedure_synonyms(proc: Procedure) -> dict[str, str]:
    """The spellings read as a value without a rule: the values themselves, the negatives, and
    "seen <place>" / "confirmed <place>" in the place's words."""
    out = {v: v for v in proc.values}
    out.update({s: "negative" for s in _NEGATIVE})
    for p in proc.places:
        for kind in ("seen", "confirmed"):
            out[f"{kind} {PLACE_WORDS[p]}"] = f"{kind}_{p}"
    return out


def _place_in(words: str, proc: Procedure) -> tuple[str | None, str, str | None]:
    """(the procedure's place named in ``words``, the words left, a place it cannot see named)."""
    best = None
    for place, spellings in _PLACE_SPELLINGS.items():
        for s in spellings:
            m = re.search(rf"(?:^| ){re.escape(s)}(?: |$)", words)
            if m and (best is None or len(s) > len(best[1])):
                best = (place, s, m)
    if best is None:
        return None, words, None
    place, s, m = best
    rest = (words[: m.start()] + " " + words[m.end() :]).strip()
    if place in proc.places:
        return place, rest, None
    # a spelling two places share ("ileum": small bowel or terminal ileum): the procedure's own
    own = [p for p in proc.places if s in _PLACE_SPELLINGS[p]]
    if own:
        return own[0], rest, None
    return None, rest, place


def read_procedure(proc: Procedure, text: str) -> tuple[str | None, str]:
    """(value, "") for a result written in words, or (None, why it cannot be read).

    >>> eus = PROCEDURES["proc_eus"]
    >>> read_procedure(eus, "Pancreatic tail lesion")[0], read_procedure(eus, "biopsy-proven pancreas")[0]
    ('seen_pancreas', 'confirmed_pancreas')
    >>> read_procedure(eus, "no primary seen")[0], read_procedure(eus, "ileum")
    ('negative', (None, 'endoscopic ultrasound (EUS) cannot see the small bowel'))
    """
    words = normalise(text)
    if words in _NEGATIVE_WORDS:
        return "negative", ""
    for phrase in _UNCONFIRMED:
        words = re.sub(rf"(?:^| ){phrase}(?: |$)", " seen ", words).strip()
    confirmed = False
    for phrase in _CONFIRMED:
        hit = re.search(rf"(?:^| ){phrase}(?: |$)", words)
        if hit:
            confirmed = True
            words = (words[: hit.start()] + " " + words[hit.end() :]).strip()
    words = " ".join(w for w in words.split() if w not in {"eus", "ct", "mri", "pet", "ogd", "egd", "capsule"})
    place, rest, elsewhere = _place_in(words, proc)
    if elsewhere is not None:
        return None, f"{proc.label} cannot see the {PLACE_WORDS[elsewhere]}"
    left = set(rest.split())
    if place is None:
        return None, ""
    if left & _NEGATION:
        return None, "a negation together with a place is ambiguous: write negative, or the place where it was seen"
    if left - _SEEN_WORDS:
        return None, ""
    return ("confirmed_" if confirmed else "seen_") + place, ""


def result_words(name: str, value: str) -> str:
    """A procedure's result in plain words.

    >>> result_words("proc_eus", "seen_pancreas"), result_words("proc_eus", "confirmed_pancreas")
    ('pancreas lesion seen, not confirmed', 'pancreas primary confirmed by histology')
    >>> result_words("proc_colonoscopy", "negative")
    'negative (no primary seen)'
    """
    if value == "negative":
        return "negative (no primary seen)"
    kind, _, place = value.partition("_")
    where = PLACE_WORDS.get(place, place.replace("_", " "))
    return f"{where} lesion seen, not confirmed" if kind == "seen" else f"{where} primary confirmed by histology"


def value_subsites(value: str) -> tuple[str, tuple[str, ...]]:
    """(``negative``, ``seen`` or ``confirmed``; the sub-sites its place covers) of a result."""
    if value == "negative":
        return "negative", ()
    kind, _, place = value.partition("_")
    return kind, PLACES[place]
