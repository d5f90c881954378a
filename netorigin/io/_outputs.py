"""Every output a command will write, resolved and checked before any work, and written so that
an interrupted run never leaves a damaged or half-replaced file.

:func:`plan_outputs` refuses, before anything is read or trained:

- an output that is one of the inputs: the same file by inode (a hard link or a symbolic link to the
  input is the input), or a folder output that holds an input;
- two outputs that are one file;
- an output whose folder does not exist or cannot be written (a bundle folder's parents are made);
- an output of the wrong kind (a file named as a folder, a suffix the writer does not know);
- a Parquet output when the ``parquet`` extra is not installed;
- a bundle folder that holds files that are not a netorigin bundle (the user's own ``manifest.json``
  is never overwritten).

:func:`write_bytes_atomic` writes a file beside its destination and renames it into place;
:func:`replace_folder` does the same for a folder (a bundle).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .._extras import check
from ..exceptions import InputError


@dataclass(frozen=True)
class Output:
    """One output of a command: the option that names it, its path, ``kind`` (``file`` or ``bundle``,
    a folder written as a whole, or ``folder``, a folder of files) and the suffixes it may have."""

    option: str
    path: Path | str
    kind: str = "file"
    suffixes: tuple[str, ...] = ()


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def _inputs(inputs) -> list[Path]:
    """Every input file, a folder input standing for the files in it (a study folder)."""
    out = []
    for p in inputs:
        if p is None:
            continue
        p = Path(p)
        if p.is_dir():
            out += [q for q in p.rglob("*") if q.is_file()][:10_000]
        elif p.exists():
            out.append(p)
    return out


def plan_outputs(outputs: list[Output], inputs=()) -> dict[str, Path]:
    """Check every output against the inputs and each other before any work; option -> path."""
    files = _inputs(inputs)
    planned: dict[str, Path] = {}
    for out in outputs:
        if out.path is None:
            continue
        p = Path(out.path)
        if out.kind == "file" and p.suffix.lower() in (".parquet", ".pq"):
            check(["parquet"], f"{out.option} {p} (a Parquet file)")  # before the work, not when writing it
        if out.suffixes and p.suffix.lower() not in out.suffixes:
            raise InputError(
                f"{out.option} {p}: must be a {' or '.join(out.suffixes)} {'file' if out.kind == 'file' else 'folder'}"
            )
        for f in files:
            if (out.kind == "file" and p.exists() and _same(p, f)) or (
                out.kind != "file" and f.resolve().is_relative_to(p.resolve())
            ):
                raise InputError(
                    f"{out.option} {p}: {'is' if out.kind == 'file' else 'holds'} the input {f}; "
                    "writing it would destroy the input: choose another output"
                )
        if out.kind == "file":
            _check_file(out.option, p)
        else:
            _check_folder(out, p)
        for option, q in planned.items():
            if p.resolve() == q.resolve() or (p.exists() and q.exists() and _same(p, q)):
                raise InputError(f"{out.option} {p}: is also {option}; two outputs cannot be one file")
        planned[out.option] = p
    return planned


def _check_file(option: str, p: Path) -> None:
    if p.exists() and p.is_dir():
        raise InputError(f"{option} {p}: is a folder; expected a file to write")
    if p.exists() and not p.is_file():
        raise InputError(f"{option} {p}: is not a regular file (a device or a pipe); expected a file to write")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{option} {p}: the folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise InputError(f"{option} {p}: the folder {str(folder)!r} cannot be written to")


def _check_folder(out: Output, p: Path) -> None:
    if p.exists() and not p.is_dir():
        raise InputError(f"{out.option} {p}: exists and is not a folder")
    ancestor = p
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK):
        raise InputError(f"{out.option} {p}: {ancestor} cannot be written to")
    if out.kind == "bundle" and p.is_dir() and any(p.iterdir()) and not is_bundle(p):
        raise InputError(
            f"{out.option} {p}: holds files that are not a netorigin bundle; a bundle is written into an "
            "empty or new folder, or over another bundle"
        )


def is_bundle(folder: Path) -> bool:
    """Whether ``folder`` holds a netorigin bundle (its manifest says so)."""
    import json

    try:
        with open(Path(folder) / "manifest.json", "rb") as fh:
            return json.loads(fh.read(64 * 1024 * 1024)).get("format") == "netorigin-bundle"
    except (OSError, ValueError, AttributeError, RecursionError):
        return False


def write_bytes_atomic(path, data: bytes) -> Path:
    """Write ``data`` beside ``path``, then rename it into place (readers see the old file or the new
    one, never half of one)."""
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".part", dir=p.parent if str(p.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, p.stat().st_mode & 0o777 if p.exists() else 0o666 & ~_umask())  # as a plain write would
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return p


def replace_folder(path, write) -> Path:
    """Call ``write(folder)`` on a new folder beside ``path``, then put it in ``path``'s place; the
    folder it replaces (another bundle) is removed only once the new one is in place."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{p.name}.", suffix=".part", dir=p.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    old = None
    try:
        write(tmp)
        if p.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{p.name}.", suffix=".old", dir=p.parent))
            os.rmdir(old)
            os.replace(p, old)
        os.replace(tmp, p)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and old.exists() and not p.exists():
            os.replace(old, p)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return p


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
