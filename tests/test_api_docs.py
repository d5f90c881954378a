"""The public API (``netorigin.__all__``) has numpydoc docstrings (checked as skrub checks its own),
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


def test_the_api_page_is_generated_from_the_docstrings():
    from netorigin.cli._api_docs import api_reference

    assert (ROOT / "docs" / "api.md").read_text() == api_reference(), (
        "regenerate: python -m netorigin.cli._api_docs > docs/api.md"
    )


def test_out_of_scope_error_is_public():
    assert "OutOfScopeError" in netorigin.__all__
