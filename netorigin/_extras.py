"""Optional parts of netorigin, each an extra of the package: a missing one is an error that names
the extra and the command that installs it the way this netorigin was installed (from a clone:
``pip install -e '.[serve]'``; from the package index: ``pip install 'netorigin[serve]'``), never
an ImportError from deep inside. Commands check what they need before any work (:func:`check`)."""

from __future__ import annotations

import shlex
import sys
from importlib import import_module
from pathlib import Path

from .exceptions import InputError

# what each extra is for, said in the error
EXTRAS = {
    "serve": "the web page and API (netorigin serve)",
    "tracking": "MLflow tracking, the model registry and figures",
    "parquet": "Parquet files",
    "dask": "the Dask engine",
}

# the modules each extra installs that netorigin imports (pyproject.toml's optional dependencies,
# by import name; tests/test_extras.py holds the two together)
MODULES = {
    "serve": ("fastapi", "uvicorn"),
    "tracking": ("mlflow", "matplotlib", "shap"),
    "parquet": ("pyarrow",),
    "dask": ("dask", "distributed", "pyarrow"),
}


def _direct_url() -> dict | None:
    """How this netorigin was installed (PEP 610's ``direct_url.json``): None from an index."""
    import json
    from importlib import metadata

    # every record of the name: run from inside a clone, its netorigin.egg-info (no record of how it
    # was installed) may come before the environment's own
    for dist in metadata.distributions(name="netorigin"):
        try:
            text = dist.read_text("direct_url.json")
            if text:
                return json.loads(text)
        except ValueError:
            continue
    return None


def _pip(cwd: Path, executable: str) -> str:
    """The pip of the Python that runs netorigin, as the user can type it: ``pip`` when it is the
    one on PATH, else its path (relative to the working folder when inside it)."""
    import shutil

    exe = Path(executable)
    found = shutil.which("pip")
    if found and Path(found).parent == exe.parent:
        return "pip"
    pip = exe.parent / "pip"
    command = pip if pip.exists() else exe
    inside = cwd != Path(cwd.anchor) and command.is_relative_to(cwd)
    shown = command.relative_to(cwd).as_posix() if inside else str(command)
    return shlex.quote(shown) + ("" if command == pip else " -m pip")


_THIS = object()  # this installation's own direct_url.json


def install_command(extra: str, *, direct_url=_THIS, cwd=None, executable=None) -> str:
    """The command that adds ``extra`` to this installation: from a clone (an editable install) the
    clone with its tested pins, ``pip install -c constraints.txt -e '.[extra]'`` (the folder named
    when it is not the working one); from a folder, an archive or a repository, the same source;
    from the package index, ``pip install 'netorigin[extra]'``. ``direct_url`` (PEP 610's record,
    None for an index install), ``cwd`` and ``executable`` default to this installation's, the
    working folder and this Python.

    >>> install_command("serve", direct_url=None, executable="/opt/py/bin/python", cwd="/")
    "/opt/py/bin/python -m pip install 'netorigin[serve]'"
    >>> clone = {"url": "file:///src/netorigin", "dir_info": {"editable": True}}
    >>> install_command("serve", direct_url=clone, executable="/src/netorigin/.venv/bin/python", cwd="/src/netorigin")
    ".venv/bin/python -m pip install -e '.[serve]'"
    """
    from urllib.parse import unquote, urlparse

    cwd = Path(cwd) if cwd is not None else Path.cwd()
    info = _direct_url() if direct_url is _THIS else direct_url
    pip = _pip(cwd, executable or sys.executable)
    url = (info or {}).get("url", "")
    if url.startswith("file://") and "dir_info" in info:
        folder = Path(unquote(urlparse(url).path))
        shown = "." if folder == cwd else str(folder)
        pins = folder / "constraints.txt"
        constraints = f"-c {shlex.quote('constraints.txt' if shown == '.' else str(pins))} " if pins.is_file() else ""
        editable = "-e " if info["dir_info"].get("editable") else ""
        return f"{pip} install {constraints}{editable}{shlex.quote(f'{shown}[{extra}]')}"
    if url and "vcs_info" in info:
        vcs = info["vcs_info"]
        ref = f"@{vcs['commit_id']}" if vcs.get("commit_id") else ""
        source = f"{vcs.get('vcs', 'git')}+{url}{ref}"
        return f"{pip} install {shlex.quote(f'netorigin[{extra}] @ {source}')}"
    if url:  # an archive (a wheel or an sdist) named by its URL
        return f"{pip} install {shlex.quote(f'netorigin[{extra}] @ {url}')}"
    return f"{pip} install {shlex.quote(f'netorigin[{extra}]')}"


def missing(extra: str, modules=None) -> str | None:
    """The first module of ``extra`` (or of ``modules``, the ones needed of it) that is not
    installed, or None; nothing is imported.

    >>> missing("no-such-extra") is None
    True
    """
    from importlib.util import find_spec

    for module in modules or MODULES.get(extra, ()):
        try:
            if find_spec(module) is None:
                return module
        except (ImportError, ValueError):
            return module
    return None


def _refusal(extra: str, module: str, why: str | None = None) -> InputError:
    need = why or EXTRAS.get(extra, extra)
    return InputError(
        f"{need} needs the optional part {extra!r} of netorigin, which is not installed here ({module} is "
        f"missing); install it with: {install_command(extra)}"
    )


def check(extras, why: str | None = None, alternative: str | None = None, *, modules=None) -> None:
    """Refuse, before any work, when an extra in ``extras`` is not installed (or, with ``modules``,
    those of its modules): the message names the extra, what needs it (``why``), the command that
    installs it and any ``alternative`` (another way to run the command without it)."""
    for extra in extras:
        module = missing(extra, modules)
        if module is not None:
            err = _refusal(extra, module, why)
            if alternative:
                err = InputError(f"{err}; or {alternative}")
            raise err


def require(module: str, extra: str):
    """Import ``module``, or refuse naming the extra that installs it.

    >>> require("json", "serve").__name__
    'json'
    """
    try:
        return import_module(module)
    except ImportError:
        raise _refusal(extra, module) from None
