"""The public API (``netorigin.__all__``) and the public methods of its classes have numpydoc
docstrings (checked as skrub checks its own),
and ``docs/api.md`` is generated from them (regenerate: python -m netorigin.cli._api_docs > docs/api.md)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import netorigin

numpydoc = pytest.importorskip("numpydoc.validate")

ROOT = Path(__file__).resolve().parents[1]
# checked: parameters documented, described and typed; a Returns section; summary and layout.
# Not checked: See Also (SA01), Examples (EX01), extended summary (ES01), one-line summary (SS06),
# parameter order (PR03) and return descriptions (RT03), which the anchors do not require either.
CHECKED = {"PR01", "PR02", "PR07", "PR08", "PR10", "RT01", "GL01", "GL02", "GL03", "GL07", "SS01", "SS02", "SS03"}


def _public():
    for name in netorigin.__all__:
        obj = getattr(netorigin, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield name, obj


@pytest.mark.parametrize("name,obj", list(_public()), ids=[n for n, _ in _public()])
def test_every_public_function_and_class_has_a_numpydoc_docstring(name, obj):
    res = numpydoc.validate(f"{obj.__module__}.{obj.__qualname__}")
    errors = [f"{code}: {msg}" for code, msg in res["errors"] if code in CHECKED]
    assert not errors, errors


def _public_methods():
    """Every public method of a public class, the mixins it takes from the package included."""
    seen = set()
    for name, obj in _public():
        if not inspect.isclass(obj):
            continue
        for klass in obj.__mro__:
            if not klass.__module__.startswith("netorigin"):
                continue
            for method, f in vars(klass).items():
                f = f.__func__ if isinstance(f, classmethod | staticmethod) else f
                key = f"{klass.__module__}.{klass.__qualname__}.{method}"
                if not method.startswith("_") and inspect.isfunction(f) and key not in seen:
                    seen.add(key)
                    yield f"{name}.{method}", key


@pytest.mark.parametrize("name,path", list(_public_methods()), ids=[n for n, _ in _public_methods()])
def test_every_public_method_of_a_public_class_has_a_numpydoc_docstring(name, path):
    res = numpydoc.validate(path)
    errors = [f"{code}: {msg}" for code, msg in res["errors"] if code in CHECKED]
    assert not errors, errors


def test_the_api_page_is_generated_from_the_docstrings():
    from netorigin.cli._api_docs import api_reference

    assert (ROOT / "docs" / "api.md").read_text() == api_reference(), (
        "regenerate: python -m netorigin.cli._api_docs > docs/api.md"
    )


def test_out_of_scope_error_is_public():
    assert "OutOfScopeError" in netorigin.__all__
