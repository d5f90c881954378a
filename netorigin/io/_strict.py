"""One bounded, strict reader for every YAML and JSON file netorigin reads (cases, mappings,
pipeline configs).

- The size limit is enforced while reading (a link to /dev/zero stops at the limit).
- YAML: no anchors or aliases (no bombs), no duplicate keys, nesting at most ``max_depth`` deep,
  and YAML 1.2-style plain scalars: ``on``, ``off``, ``yes``, ``no`` and ``000123`` stay text
  (with ``typed=False``, for cases, every plain scalar stays text and the contract parses it).
- JSON: duplicate keys refused, nesting depth bounded.
Every refusal is an :class:`~netorigin.exceptions.InputError` naming the file, the line and the key.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..exceptions import InputError

MAX_DEPTH = 32


def read_bounded(path, limit: int, what: str = "file") -> bytes:
    """At most ``limit`` bytes of ``path``, refusing anything larger (checked while reading)."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a folder; expected a {what}")
    try:
        with open(p, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as e:
        raise InputError(f"{p}: cannot be read ({e.strerror})") from None
    if len(data) > limit:
        raise InputError(f"{p}: larger than {limit:,} bytes; too large for a {what}")
    return data


def decode_text(data: bytes, source) -> str:
    if not data.strip():
        raise InputError(f"{source}: the file is empty")
    if b"\x00" in data[:65536]:
        raise InputError(f"{source}: looks like a binary file, not text (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(
            f"{source}: is not UTF-8 text (byte 0x{data[e.start]:02x} at position {e.start}); save it as UTF-8"
        ) from None


def _loader(typed: bool, max_depth: int):
    import yaml

    class StrictLoader(yaml.SafeLoader):
        """Safe YAML without aliases, duplicate keys or YAML 1.1's surprising scalars."""

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.constructor.ConstructorError(
                    None, None, "anchors and aliases (&, *) are not allowed", event.start_mark
                )
            depth = getattr(self, "_depth", 0)
            if depth >= max_depth:
                raise yaml.constructor.ConstructorError(
                    None, None, f"nested more than {max_depth} levels deep", self.peek_event().start_mark
                )
            self._depth = depth + 1
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth = depth

        def construct_mapping(self, node, deep=False):
            seen = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    hash(key)
                except TypeError:
                    raise yaml.constructor.ConstructorError(
                        None, None, "a mapping key must be a single value", key_node.start_mark
                    ) from None
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"key {key!r} appears twice (lines {seen[key]} and "
                        f"{key_node.start_mark.line + 1}); each key once",
                        key_node.start_mark,
                    )
                seen[key] = key_node.start_mark.line + 1
            return super().construct_mapping(node, deep=deep)

    StrictLoader.yaml_implicit_resolvers = _resolvers(typed)
    return StrictLoader


def _resolvers(typed: bool) -> dict:
    """YAML's implicit scalar types: null only (every scalar stays text, for cases), or the YAML
    1.2 core schema (true/false, decimal ints without leading zeros, floats)."""
    import yaml

    resolvers = {}
    for first, items in yaml.SafeLoader.yaml_implicit_resolvers.items():
        keep = [(tag, rx) for tag, rx in items if tag == "tag:yaml.org,2002:null"]
        if keep:
            resolvers[first] = keep
    if typed:  # YAML 1.2 core schema: true/false, decimal ints (no leading zeros), floats
        for first in "tTfF":
            resolvers.setdefault(first, []).append(
                ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"))
            )
        for first in "-+0123456789.":
            resolvers.setdefault(first, []).append(("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")))
            resolvers[first].append(
                (
                    "tag:yaml.org,2002:float",
                    re.compile(
                        r"^[-+]?(?:(?:0|[1-9][0-9]*)\.[0-9]*|\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?[eE][-+]?[0-9]+)$"
                    ),
                )
            )
    return resolvers


def load_yaml(text: str, source, *, typed: bool = True, max_depth: int = MAX_DEPTH):
    """Parse YAML strictly (see the module docstring)."""
    import yaml

    try:
        return yaml.load(text, Loader=_loader(typed, max_depth))  # noqa: S506 (a SafeLoader subclass)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise InputError(f"{source}: not valid YAML{where}: {getattr(e, 'problem', None) or e}") from None
    except RecursionError:
        raise InputError(f"{source}: YAML nested too deeply") from None


def load_json(text: str, source, *, max_depth: int = MAX_DEPTH):
    """Parse JSON refusing duplicate keys and nesting deeper than ``max_depth``."""
    _check_depth(text, source, max_depth)

    def pairs(items):
        out = {}
        for k, v in items:
            if k in out:
                raise InputError(f"{source}: key {k!r} appears twice; each key once")
            out[k] = v
        return out

    try:
        obj = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as e:
        raise InputError(f"{source}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    except RecursionError:
        raise InputError(f"{source}: JSON nested too deeply") from None
    _check_text(obj, source, "")
    return obj


def _check_depth(text: str, source, max_depth: int) -> None:
    """Refuse JSON nested deeper than ``max_depth`` before parsing it (no recursion on a bomb)."""
    depth = deepest = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > max_depth:
                raise InputError(f"{source}: JSON nested more than {max_depth} levels deep")
        elif ch in "]}":
            depth -= 1


def _check_text(obj, source, where: str) -> None:
    """Refuse lone surrogates ("\\ud800" escapes): they are not text and cannot be written back."""
    if isinstance(obj, str):
        try:
            obj.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError(
                f"{source}: {where or 'a value'}: holds a lone surrogate escape (\\ud800-\\udfff), "
                "which is not a character; send UTF-8 text"
            ) from None
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _check_text(k, source, f"a key near {where!r}" if where else "a key")
            _check_text(v, source, str(k).encode("utf-8", "replace").decode())
    elif isinstance(obj, list):
        for v in obj:
            _check_text(v, source, where)
