"""``docs/api.md``: the public API (``netorigin.__all__``) from its docstrings.

python -m netorigin.cli._api_docs > docs/api.md
"""

from __future__ import annotations

import inspect


def api_reference() -> str:
    """The API page: every public name with its signature and docstring, in ``__all__``'s order."""
    import netorigin

    out = [
        "# API reference",
        "",
        "Back to the [README](../README.md). Generated from the docstrings "
        "(`python -m netorigin.cli._api_docs > docs/api.md`; a test keeps it current).",
        "",
    ]
    for name in netorigin.__all__:
        obj = getattr(netorigin, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            try:
                sig = str(inspect.signature(obj))
            except (TypeError, ValueError):
                sig = ""
            kind = "class" if inspect.isclass(obj) else "function"
            out += [f"## `{name}{sig}`", "", f"*{kind}*, `{obj.__module__}`", "", "```text"]
            out += [inspect.getdoc(obj) or "", "```", ""]
        else:
            out += [f"## `{name}`", "", f"*constant*: `{type(obj).__name__}`", ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(api_reference(), end="")
