"""Where Wenshu finds its shipped content and keeps its per-user data.

Content (catalogs, prompts, question suites) lives at the repository top level
during development and is packed into ``assistant/_resources`` in the wheel, so
both a checkout and a plain ``pip install .`` work from any directory.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The shipped folder ``name`` (``catalog``, ``prompts`` or ``eval``)."""
    for candidate in (_PACKAGE_DIR / "_resources" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"Wenshu's '{name}' folder is missing from the installation; reinstall with `pip install wenshu`."
    )


def demo_catalog_dir() -> Path:
    """The embedded demo company's metric dictionary."""
    return resource_dir("catalog") / "demo"


def data_dir() -> Path:
    """The per-user data directory (``$WENSHU_HOME``, else the XDG data home)."""
    explicit = os.environ.get("WENSHU_HOME")
    if explicit:
        path = Path(explicit).expanduser()
    else:
        base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        path = Path(base) / "wenshu"
    path.mkdir(parents=True, exist_ok=True)
    return path
