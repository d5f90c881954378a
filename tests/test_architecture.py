"""The shape of the house: layers held by import-linter, no import cycles, one registry for model
kinds (a new kind is one module), one public surface, one spelling of the research notice."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "netorigin"


def test_layers_contract_holds_with_no_ignored_imports():
    import tomllib

    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert not any(c.get("ignore_imports") for c in cfg["contracts"])
    assert any(c["type"] == "layers" for c in cfg["contracts"])
    r = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports())"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "0 broken" in r.stdout


def _find_cycle(deps_of: dict) -> list:
    """A cycle in a module -> imported modules map, as a path, or []."""
    state, cycle = {}, []

    def deps(m):
        return deps_of.get(m, set())

    def visit(m, path):
        state[m] = "open"
        for d in sorted(deps(m)):
            if state.get(d) == "open":
                cycle.extend(path[path.index(d) :] + [d] if d in path else [m, d])
                return True
            if d not in state and visit(d, path + [d]):
                return True
        state[m] = "done"
        return False

    for m in sorted(deps_of):
        if m not in state and visit(m, [m]):
            break
    return cycle


def test_the_cycle_finder_finds_cycles():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_import_cycle_between_any_two_modules():
    import grimp

    graph = grimp.build_graph("netorigin")
    # a package importing its own submodules (its re-exports) is not a cycle
    deps_of = {
        m: {d for d in graph.find_modules_directly_imported_by(m) if not d.startswith(m + ".")} for m in graph.modules
    }
    assert len(deps_of) > 50
    cycle = _find_cycle(deps_of)
    assert not cycle, " -> ".join(cycle)


def test_the_public_surface_resolves_and_private_modules_are_underscored():
    import netorigin

    for name in netorigin.__all__:
        assert getattr(netorigin, name) is not None, name
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if path.name in ("__init__.py", "__main__.py") or rel.parts[0] in (
            "testing.py",
            "exceptions.py",
            "pipelines.py",
        ):
            continue
        assert path.name.startswith("_"), f"{rel}: a module inside a layer package is private (leading underscore)"


def test_the_research_notice_is_spelled_once():
    hits = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py") if "medical device" in p.read_text()]
    assert hits == ["netorigin/contract/_notice.py"], hits


def test_the_library_never_prints_exits_or_configures_the_process():
    bad = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "cli" or path.name == "__main__.py":
            continue
        tree = ast.parse(path.read_text())
        # a warning filter inside ``with warnings.catch_warnings():`` is scoped to that block (a third
        # party's own noise around one call), not a setting of the process
        scoped = set()
        for w in ast.walk(tree):
            if isinstance(w, ast.With) and any("catch_warnings" in ast.unparse(i.context_expr) for i in w.items):
                scoped |= set(range(w.lineno, w.end_lineno + 1))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else (f.attr if isinstance(f, ast.Attribute) else "")
                owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
                if (
                    name == "print"
                    or (owner == "sys" and name == "exit")
                    or name == "basicConfig"
                    or (name in ("filterwarnings", "simplefilter") and node.lineno not in scoped)
                    or (owner == "os" and name == "putenv")
                    or (name == "setdefault" and owner == "environ")
                ):
                    bad.append(f"{rel}:{node.lineno} {owner + '.' if owner else ''}{name}")
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value in ("data/models/default", "bundles/")
            ):
                bad.append(f"{rel}:{node.lineno} path in source: {node.value}")
    assert not bad, bad


@pytest.fixture
def constant_kind():
    """A new model kind, defined in one place (this fixture plays its module) and registered."""
    from sklearn.base import BaseEstimator, ClassifierMixin

    from netorigin.contract import as_canonical
    from netorigin.models import ModelKind, dump_json, read_json
    from netorigin.models._registry import _KINDS, register

    class SitePrior(ClassifierMixin, BaseEstimator):
        """Predicts the training site mix for every case (a null model)."""

        def fit(self, X, y):
            self.classes_, counts = np.unique(y, return_counts=True)
            self.log_prior_ = np.log((counts + 1) / (len(y) + len(counts)))
            return self

        def decision_function(self, X):
            return np.tile(self.log_prior_, (len(as_canonical(X)), 1))

    def from_files(files):
        clf = SitePrior()
        clf.log_prior_ = np.asarray(read_json(files["prior.json"], "prior.json"))
        clf.classes_ = np.arange(len(clf.log_prior_))
        return clf

    kind = register(
        ModelKind(
            name="site-prior",
            summary="the training site mix for every case",
            make_classifier=lambda random_state=None, **p: (None, SitePrior()),
            explain=lambda clf, t, ff: (
                ["age_years"],
                np.zeros((len(t), 1, len(clf.classes_))),
                np.tile(clf.log_prior_, (len(t), 1)),
            ),
            to_files=lambda clf: {"prior.json": dump_json(clf.log_prior_.tolist())},
            from_files=from_files,
            files=("prior.json",),
        )
    )
    yield kind
    del _KINDS["site-prior"]


def test_a_new_kind_is_one_registration_and_works_end_to_end(constant_kind, small_cohort, tmp_path):
    from netorigin.estimator import load_bundle, save_bundle
    from netorigin.inference import case_report, score_cases
    from netorigin.testing import assert_explanation_adds_up, assert_explanation_sums_to_margin
    from netorigin.training import train

    model = train(small_cohort, kind="site-prior", n_bootstrap=0, with_robustness=False).model
    save_bundle(model, tmp_path / "b")
    loaded = load_bundle(tmp_path / "b")
    np.testing.assert_array_equal(
        model.predict_proba(small_cohort.iloc[:50]), loaded.predict_proba(small_cohort.iloc[:50])
    )
    rep = case_report(score_cases(loaded, small_cohort.iloc[:1]), 0)
    assert rep["model"]["kind"] == "site-prior" and rep["prediction_set"]
    assert_explanation_sums_to_margin(loaded, small_cohort.iloc[:20])
    assert_explanation_adds_up(loaded, small_cohort.iloc[:20], target_prior="unknown-primary")


MAX_FILE_LINES, MAX_FUNCTION_LINES = 400, 60


def _long_functions(source: str) -> list[tuple[str, int]]:
    """(name, lines of code) of every function whose code, its docstring aside, is over
    MAX_FUNCTION_LINES and does not say why in a comment starting with ``# long:``."""
    lines, out = source.splitlines(), []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        n = node.end_lineno - node.lineno + 1
        first = node.body[0]
        if isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant):
            n -= first.end_lineno - first.lineno + 1
        said = any(x.strip().startswith("# long:") for x in lines[node.lineno - 1 : node.end_lineno])
        if n > MAX_FUNCTION_LINES and not said:
            out.append((node.name, n))
    return out


def test_the_length_rule_finds_a_long_function_and_accepts_one_that_says_why():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES + 1))
    assert _long_functions(f'def f():\n    """Doc."""\n{body}\n') == [("f", MAX_FUNCTION_LINES + 2)]
    assert _long_functions(f"def f():\n    # long: a table, one row per field\n{body}\n") == []
    shorter = "\n".join(body.splitlines()[:-2])  # with its def line: 60 lines of code
    assert _long_functions(f'def f():\n    """Doc\n\n    more.\n    """\n{shorter}\n') == []


def test_no_library_file_or_function_is_over_the_house_limits():
    """No file in netorigin/ over 400 lines; no function over 60 lines of code (its docstring aside)
    without a ``# long:`` comment saying why."""
    files, functions = [], []
    for path in sorted((ROOT / "netorigin").rglob("*.py")):
        text = path.read_text()
        if len(text.splitlines()) > MAX_FILE_LINES:
            files.append((str(path.relative_to(ROOT)), len(text.splitlines())))
        functions += [(str(path.relative_to(ROOT)), *f) for f in _long_functions(text)]
    assert not files, files
    assert not functions, functions


# ---------------------------------------------------------------- the start-up shadows: one path each
# netorigin/_runtime holds netorigin's copies of what scikit-learn, xgboost, SciPy and pandas compute.
# A copy is chosen once: never by the number of cases (the compiled trees for a few rows, xgboost
# for many) and never by what the process has imported (scikit-learn's checks when it happens to be
# loaded). The rules below find both patterns in the source.
_SHADOWED = {"xgboost", "scipy", "sklearn", "pandas"}
# a shadow or its library named in code: attributes (methods, the fitted trees and booster) and functions
_SHADOW_ATTRS = {"margins", "contributions", "margins_edited", "trees_", "booster_", "DMatrix"}
_SHADOW_CALLS = {
    "log_ndtr", "ndtr", "check_features", "validate_data", "CompiledTrees", "compile_booster", "is_pandas_missing",
}  # fmt: skip


def _is_size(e) -> bool:
    """``len(...)``, ``x.shape[...]``, ``x.size`` or ``x.nbytes``: a number of cases or values."""
    if isinstance(e, ast.Call) and isinstance(e.func, ast.Name) and e.func.id == "len":
        return True
    if isinstance(e, ast.Attribute) and e.attr in ("size", "nbytes"):
        return True
    return isinstance(e, ast.Subscript) and isinstance(e.value, ast.Attribute) and e.value.attr == "shape"


def _is_threshold(e) -> bool:
    """A number other than 0 and 1, or an UPPER_CASE constant."""
    if isinstance(e, ast.Constant) and isinstance(e.value, (int, float)) and not isinstance(e.value, bool):
        return e.value not in (0, 1)
    name = e.id if isinstance(e, ast.Name) else e.attr if isinstance(e, ast.Attribute) else ""
    return bool(name) and name.lstrip("_").isupper()


def _reaches_a_shadow(nodes) -> bool:
    """Whether code ``nodes`` imports a shadowed library or names a shadow (or xgboost's booster)."""
    for node in (n for top in nodes for n in ast.walk(top)):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] in _SHADOWED for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in _SHADOWED:
            return True
        if isinstance(node, ast.Attribute) and node.attr in _SHADOW_ATTRS | _SHADOW_CALLS:
            return True
        if isinstance(node, ast.Name) and node.id in _SHADOW_CALLS:
            return True
    return False


def _shadow_switches(source: str) -> list[tuple[str, int]]:
    """(what, line) of every branch that picks a shadow or its library by a size against a
    threshold, and of every look at ``sys.modules`` (what the process happens to have imported)."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "modules" and getattr(node.value, "id", "") == "sys":
            out.append(("sys.modules", node.lineno))
        if isinstance(node, ast.Name) and node.id in ("sklearn_in_use", "modules_loaded"):
            out.append((node.id, node.lineno))
        if not isinstance(node, (ast.If, ast.IfExp, ast.While)):
            continue
        sized = [
            c
            for c in ast.walk(node.test)
            if isinstance(c, ast.Compare)
            and any(_is_size(s) for s in (c.left, *c.comparators))
            and any(_is_threshold(s) for s in (c.left, *c.comparators))
        ]
        branches = [node.body, node.orelse] if isinstance(node, ast.IfExp) else [*node.body, *node.orelse]
        if sized and _reaches_a_shadow(branches if isinstance(branches[0], list) else branches):
            out.append(("size", node.lineno))
    return out


def test_the_shadow_rule_finds_a_size_switch_and_an_import_history_switch():
    by_size = (
        "def margin(self, X):\n"
        "    if len(X) <= 256:\n"
        "        return self.trees_.margins(X)\n"
        "    import xgboost as xgb\n"
        "    return self.booster_.predict(xgb.DMatrix(X), output_margin=True)\n"
    )
    by_history = (
        "import sys\n"
        "def checked(self, X):\n"
        "    if 'sklearn' in sys.modules or not isinstance(X, np.ndarray):\n"
        "        from sklearn.utils.validation import validate_data\n"
        "        return validate_data(self, X, reset=False)\n"
        "    return X\n"
    )
    assert _shadow_switches(by_size) == [("size", 2)]
    assert _shadow_switches(by_history) == [("sys.modules", 3)]
    # a size that picks no shadow (a cap, a sample, a shape) is not a switch
    assert _shadow_switches("def f(X, y):\n    if len(y) > CAP:\n        y = y[:CAP]\n    return X\n") == []
    assert _shadow_switches("def f(m):\n    return m[:, 1] - m[:, 0] if m.shape[1] == 2 else m\n") == []


def test_no_code_path_switches_on_the_number_of_cases_or_on_what_is_imported():
    """Every shadow of a library (netorigin/_runtime) is one code path for a case alone and a batch
    of any size, whatever the process has imported: no branch picks a shadow or its library by a
    size, and no library code reads ``sys.modules``."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        found += [(str(path.relative_to(ROOT)), *f) for f in _shadow_switches(path.read_text())]
    assert not found, found


def _floor_all(folder: Path) -> list[str]:
    tree = ast.parse((folder / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "__all__":
            return [e.value for e in node.value.elts]
    return []


def _names_imported_from(floor: str, texts: list[str]) -> set[str]:
    found = set()
    pattern = re.compile(rf"from (?:\.\.|netorigin\.){floor} import (\([^)]*\)|[^\n]*)")
    for text in texts:
        for m in pattern.finditer(text):
            names = re.sub(r"#[^\n]*", "", m.group(1)).strip("()").replace("\n", " ").split(",")
            found |= {n.split(" as ")[0].strip() for n in names if n.strip()}
        found |= set(re.findall(rf"netorigin\.{floor}\.([A-Za-z]\w*)", text))
    return found


def test_every_floor_lists_only_what_another_floor_or_a_user_imports():
    """A floor's ``__all__`` names only what another floor, the top-level package (the user's
    surface), a benchmark or the docs import; tests reach anything else through its module."""
    users = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "benchmarks").rglob("*.py")]
    top = (PACKAGE / "__init__.py").read_text()
    floors = [d for d in sorted(PACKAGE.iterdir()) if (d / "__init__.py").exists() and d.name != "data"]
    assert len(floors) >= 9
    unused = {}
    for folder in floors:
        others = [p for p in PACKAGE.rglob("*.py") if folder not in p.parents] + users
        used = _names_imported_from(folder.name, [p.read_text() for p in others])
        used |= set(re.findall(rf'"(\w+)": "{folder.name}"', top))
        extra = [n for n in _floor_all(folder) if n not in used]
        if extra:
            unused[folder.name] = extra
    assert not unused, f"in __all__ but imported by no other floor or user: {unused}"
