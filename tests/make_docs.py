"""Regenerate what the docs quote from the tool itself, so that no quoted output goes stale.

    python tests/make_docs.py

- a block opened by ``<!-- output: netorigin ARGS -->`` (a fenced block follows) gets the output
  of that command, run from the repository root;
- a table opened by ``<!-- table: RESULTS.md -->`` gets the first Markdown table of that results
  file (written by a benchmark or pipeline, headed by the bundle it measured);
- a block opened by ``<!-- floors -->`` (a fenced block follows) gets the house's floors: the
  import-linter layers of ``pyproject.toml``, top floor first, each with its modules, its lines and
  the first sentence of its package docstring.

``tests/test_docs.py`` checks that every block equals what this would write.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
OUTPUT = re.compile(r"(<!-- output: (?P<cmd>[^>]+?) -->\n```\n)(?P<body>.*?)(```\n)", re.S)
TABLE = re.compile(r"(<!-- table: (?P<path>[^>]+?) -->\n)(?P<body>(?:\|.*\n)*)")
FLOORS = re.compile(r"(<!-- floors -->\n```\n)(?P<body>.*?)(```\n)", re.S)


def command_output(cmd: str) -> str:
    """``$ cmd`` and what it prints, as a user on an 100-column terminal sees it."""
    args = shlex.split(cmd)
    assert args[0] == "netorigin", cmd
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    r = subprocess.run(
        [sys.executable, "-m", "netorigin", *args[1:]], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300
    )
    return f"$ {cmd}\n{r.stdout}"


def first_table(path: str) -> str:
    lines = (ROOT / path).read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return "\n".join(lines[start:end]) + "\n"


def floors() -> str:
    """The floors of the house, top first: package, modules, lines, what lives there."""
    import ast
    import textwrap
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(c for c in config if c["type"] == "layers")["layers"]
    out = []
    for layer in layers:
        name = layer.removeprefix("netorigin.")
        folder = ROOT / "netorigin" / name
        if not folder.is_dir():
            out.append(f"{layer.replace('netorigin.', '')}\n")
            continue
        files = sorted(folder.glob("*.py"))
        lines = sum(len(f.read_text().splitlines()) for f in files)
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text())) or ""
        doc = re.sub(r":[a-z]+:`~?(?:[\w.]+\.)?(\w+)`", r"\1", doc)  # :class:`~a.B` -> B
        first = " ".join(doc.split("\n\n")[0].split(". ")[0].split(": ")[0].split()).rstrip(".")
        first = first.replace("``", "")
        head = f"{name:<11}{len(files) - 1:>3} modules {lines:>6} lines  "
        body = textwrap.wrap(first, 100 - len(head))
        out.append(head + (body[0] if body else "") + "\n")
        out.extend(" " * len(head) + more + "\n" for more in body[1:])
    return "".join(out)


def render(text: str) -> str:
    text = OUTPUT.sub(lambda m: m.group(1) + command_output(m.group("cmd")) + m.group(4), text)
    text = FLOORS.sub(lambda m: m.group(1) + floors() + m.group(3), text)
    return TABLE.sub(lambda m: m.group(1) + first_table(m.group("path")), text)


def blocks(text: str) -> list[tuple[str, str, str]]:
    """(kind, what, body) of every generated block in ``text``."""
    return (
        [("output", m.group("cmd"), m.group("body")) for m in OUTPUT.finditer(text)]
        + [("table", m.group("path"), m.group("body")) for m in TABLE.finditer(text)]
        + [("floors", "", m.group("body")) for m in FLOORS.finditer(text)]
    )


if __name__ == "__main__":
    for doc in DOCS:
        old = doc.read_text()
        new = render(old)
        if new != old:
            doc.write_text(new)
            print(f"updated {doc.relative_to(ROOT)}")
