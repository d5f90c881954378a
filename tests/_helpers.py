"""Helpers shared by the test modules (not part of netorigin's API)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from netorigin.models import dump_json

ROOT = Path(__file__).resolve().parents[1]


def rehash(bundle: Path, **files: bytes) -> None:
    """Write ``files`` into a bundle folder and make its manifest agree with them again (sha256
    of every file and the bundle hash), as someone editing a bundle on purpose would."""
    bundle = Path(bundle)
    for name, data in files.items():
        (bundle / name).write_bytes(data)
    manifest = json.loads((bundle / "manifest.json").read_text())
    for name in manifest["files"]:
        manifest["files"][name] = hashlib.sha256((bundle / name).read_bytes()).hexdigest()
    body = {k: v for k, v in manifest.items() if k != "bundle_hash"}
    manifest["bundle_hash"] = hashlib.sha256(dump_json(body)).hexdigest()
    (bundle / "manifest.json").write_bytes(dump_json(manifest))


def run(*args, cwd=None, timeout=None, env=None):
    """The command line, in process (click's runner): what ``python -m netorigin ARGS`` would do,
    with its exit code, stdout and stderr, run from ``cwd`` (default: an empty temporary folder).
    A few tests keep a real process (``run_process``) for what only a process shows."""
    import os
    import subprocess
    import tempfile

    from click.testing import CliRunner

    from netorigin.cli import main

    old = os.getcwd()
    old_env = {k: os.environ.get(k) for k in (env or {})}
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(cwd or tmp)
        os.environ.update(env or {})
        try:
            r = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=True)
        finally:
            os.chdir(old)
            for k, v in old_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        import traceback

        stderr = r.stderr + "".join(traceback.format_exception(r.exception))
        return subprocess.CompletedProcess(args, 1, r.stdout, stderr)
    return subprocess.CompletedProcess(args, r.exit_code, r.stdout, r.stderr)


def run_process(*args, cwd=None, timeout=300, env=None):
    """The command line in a fresh Python process (from an empty folder unless ``cwd``)."""
    import os
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return subprocess.run(
            [sys.executable, "-m", "netorigin", *map(str, args)],
            cwd=cwd or tmp,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
        )


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_at_root(*args, cwd=ROOT, **kwargs):
    """:func:`run` from the clone's root (for tests that name its files relatively)."""
    return run(*args, cwd=cwd, **kwargs)
