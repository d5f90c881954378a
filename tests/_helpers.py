"""Helpers shared by the test modules (not part of netorigin's API)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from netorigin.models import dump_json


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
