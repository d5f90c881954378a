"""The command-line reference (docs/cli.md), generated from the command definitions.

Regenerate with ``python -m netorigin.cli._docs > docs/cli.md``; a test keeps the file equal
to what this prints.
"""

from __future__ import annotations

import click


def _rows(cmd: click.Command) -> list[str]:
    out = []
    for p in cmd.params:
        if isinstance(p, click.Argument):
            out.append(f"| `{p.human_readable_name}` | argument{' (required)' if p.required else ''} |")
            continue
        names = ", ".join(f"`{o}`" for o in p.opts + p.secondary_opts)
        help_text = (p.help or "").replace("|", "\\|").replace("\n", " ")
        if p.show_default and p.default not in (None, False) and not callable(p.default):
            help_text += f" (default: {p.default})"
        out.append(f"| {names} | {help_text} |")
    return out


def _walk(cmd: click.Command, path: str) -> list[str]:
    if isinstance(cmd, click.Group):
        lines = []
        for name in sorted(cmd.commands):
            lines += _walk(cmd.commands[name], f"{path} {name}")
        return lines
    doc = (cmd.help or "").strip()
    lines = [f"## `{path}`", "", doc.replace("\n    ", "\n"), "", "| option | meaning |", "|---|---|", *_rows(cmd), ""]
    return lines


def cli_reference() -> str:
    from . import main

    head = [
        "# Command-line reference",
        "",
        "Generated from the command definitions (`python -m netorigin.cli._docs > docs/cli.md`). "
        "Every command exits 0 on success, 2 on bad input (a message naming the field, the value and "
        "what was expected, never a traceback); `score` exits 3 for one case outside the intended use.",
        "",
    ]
    return "\n".join(head + _walk(main, "netorigin")).rstrip() + "\n"


if __name__ == "__main__":
    print(cli_reference(), end="")
