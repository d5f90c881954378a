"""One home per idea (issue 33): the package's one log-sum-exp, softmax, log-softmax and floored log
live in ``netorigin/_math.py``; the one rule from a label to its site and the one ``site_sums`` in
``netorigin/contract/_sites.py``. Every other module calls them: a second copy (a definition by
the same name, or the same arithmetic written out again) fails here.

The checks read the source (AST), so they also run on a tree given by path: ``scan(root)`` on the
code before this test was written finds the copies it replaced (tests/test_one_home.py's
``test_the_scan_finds_the_copies_it_was_written_for``)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "netorigin"

HOMES = {
    "logsumexp": "_math.py",
    "log_softmax": "_math.py",
    "softmax": "_math.py",
    "softmax_within": "_math.py",
    "floored_log": "_math.py",
    "safe_log": "_math.py",
    "site_of": "contract/_sites.py",
    "site_sums": "contract/_sites.py",
}
NUMERIC_HOME = "_math.py"
LABEL_HOME = "contract/_sites.py"
# a floored log that is not a probability's: a lab value floored before the log-normal fit (in the
# field's own unit; a recorded 0 does meet it), so not LOG_FLOOR
OTHER_FLOORS = {("literature/_mstep.py", "0.001")}


def _name(node) -> str:
    """``np.log`` -> 'log', ``z.max`` -> 'max', ``SITES.index`` -> 'SITES.index', a name -> itself."""
    if isinstance(node, ast.Attribute):
        if isinstance(node.value, ast.Name) and node.value.id.isupper():
            return f"{node.value.id}.{node.attr}"
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _calls(node, name: str) -> list[ast.Call]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Call) and _name(n.func) == name]


def _mentions_site(node) -> bool:
    return any("site" in _name(n).lower() for n in ast.walk(node) if isinstance(n, (ast.Name, ast.Attribute)))


def _copies_in(tree: ast.AST, rel: str) -> list[str]:
    """What ``tree`` (the module at ``rel``) writes again of an idea whose home is elsewhere."""
    out = []
    for node in ast.walk(tree):
        out += _definitions(node, rel)
        if rel != NUMERIC_HOME:
            out += _numeric_copies(node, rel)
        if rel != LABEL_HOME:
            out += _site_copies(node)
    return out


def _definitions(node, rel: str) -> list[str]:
    """A helper defined by a home's name (``_sites_of`` counts as ``site_of``) away from its home."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return []
    homed = HOMES.get(node.name.strip("_").replace("sites_of", "site_of"), rel) != rel
    numeric = rel != NUMERIC_HOME and any(w in node.name for w in ("softmax", "logsumexp", "lse"))
    return [f"def {node.name}"] if homed or numeric else []


def _numeric_copies(node, rel: str) -> list[str]:
    """log-sum-exp, softmax and floored logs written out (or taken from SciPy)."""
    if isinstance(node, ast.Attribute) and node.attr in ("logaddexp", "logsumexp"):
        return [f"log-sum-exp: .{node.attr}"]
    if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("scipy.special"):
        return [f"from scipy.special import {a.name}" for a in node.names if "soft" in a.name or "sumexp" in a.name]
    if not isinstance(node, ast.Call):
        return []
    f, arg, at = _name(node.func), (node.args[0] if node.args else None), f"at line {node.lineno}"
    out = []
    if f == "log" and arg is not None and _calls(arg, "exp"):
        out.append(f"log-sum-exp: log(exp(...)) {at}")
    if f == "log" and isinstance(arg, ast.Call) and _name(arg.func) in ("maximum", "clip"):
        if (rel, _floor(arg)) not in OTHER_FLOORS:
            out.append(f"floored log: log({_name(arg.func)}(..., {_floor(arg)})) {at}")
    if f == "exp" and arg is not None and (_calls(arg, "max") or _calls(arg, "reduceat")):
        out.append(f"softmax / log-sum-exp: exp(z - max) {at}")
    if f == "max" and any(k.arg == "keepdims" for k in node.keywords):
        out.append(f"softmax / log-sum-exp: a row's max kept to shift by, {at}")
    return out


def _site_copies(node) -> list[str]:
    """Site sums by a mask (``x[site == k].sum()``) and the label-to-site rule written again."""
    if isinstance(node, (ast.DictComp, ast.ListComp, ast.SetComp, ast.GeneratorExp)):
        over = [n for g in node.generators for n in ast.walk(g.iter) if isinstance(n, ast.Name)]
        if any(n.id == "DETAIL_TO_SITE" for n in over) and _calls(node, "SITES.index"):
            return [f"label rule: a label-to-site table built again at line {node.lineno}"]
    if not isinstance(node, ast.Call):
        return []
    f = node.func
    if _name(f) == "sum" and isinstance(f, ast.Attribute) and isinstance(f.value, ast.Subscript):
        if any(isinstance(c, ast.Compare) and _mentions_site(c) for c in ast.walk(f.value.slice)):
            return [f"site sums: x[site == k].sum() at line {node.lineno}"]
    if _name(f) == "SITES.index" and any(
        _name(n) == "DETAIL_TO_SITE" for a in node.args for n in ast.walk(a) if isinstance(n, ast.Name)
    ):
        return [f"label rule: SITES.index(DETAIL_TO_SITE[...]) at line {node.lineno}"]
    return []


def _floor(call: ast.Call) -> str:
    consts = [n.value for a in call.args[1:] for n in ast.walk(a) if isinstance(n, ast.Constant)]
    return str(consts[0]) if consts else "?"


def scan(package: Path = PACKAGE) -> dict[str, list[str]]:
    """{module path: copies} over every module of ``package``."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        copies = _copies_in(ast.parse(path.read_text()), rel)
        if copies:
            found[rel] = copies
    return found


def test_each_numeric_idea_and_the_label_rule_have_one_home():
    assert scan() == {}, "call netorigin._math / netorigin.contract (site_of, site_sums) instead"


def test_the_homes_define_what_the_others_call():
    from netorigin import _math, contract

    for name, home in HOMES.items():
        module = contract if home.startswith("contract") else _math
        assert callable(getattr(module, name)), name


def test_the_scan_finds_the_copies_it_was_written_for():
    # each idea written out again, as the package once had it, is caught
    written_again = {
        "a.py": "def lse(j):\n    mx = j.max(axis=1)\n    return mx + np.log(np.exp(j - mx[:, None]).sum(axis=1))\n",
        "b.py": "p = -np.log(np.clip(proba[np.arange(n), y], 1e-15, 1))\n",
        "c.py": "lp = np.log(np.maximum(p, 1e-300))\n",
        "d.py": "e = np.exp(z - z.max(axis=1, keepdims=True))\n",
        "d2.py": "top = joint.max(axis=1, keepdims=True)\ne = np.exp(joint - top)\n",
        "d3.py": "e = np.exp(j - np.maximum.reduceat(j, starts, axis=1)[:, block])\n",
        "e.py": "ps = np.stack([P[:, site == s].sum(axis=1) for s in range(3)], axis=1)\n",
        "f.py": "def site_sums(p, ls):\n    return p\n",
        "g.py": "k = [SITES.index(DETAIL_TO_SITE[x]) for x in labels]\n",
        "h.py": "w = lw - np.log(np.exp(lw).sum())\n",
        "i.py": "from scipy.special import logsumexp\n",
        "j.py": "SITE_OF = {d: SITES.index(s) for d, s in DETAIL_TO_SITE.items()}\n",
        "k.py": "def _sites_of(labels):\n    return [DETAIL_TO_SITE[x] for x in labels]\n",
    }
    for rel, src in written_again.items():
        assert _copies_in(ast.parse(src), rel), rel
    assert _copies_in(ast.parse(written_again["c.py"]), NUMERIC_HOME) == []  # its home may
