"""What a command works on: a catalog, its database, and the default as-of date.

With no arguments this is the embedded demo: its catalog ships with the
package and its database is generated on first use into the user's data
directory (with a progress bar), then reused.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from assistant.catalog import MetricCatalog, load_catalog
from assistant.execute import SandboxedDatabase
from assistant.resources import data_dir, demo_catalog_dir

DEMO_SEED = 42


def default_demo_path() -> Path:
    return data_dir() / "demo.duckdb"


def demo_scale() -> float:
    return float(os.environ.get("WENSHU_DEMO_SCALE", "1.0"))


def build_demo_with_progress(
    out: Path, *, scale: float, as_of: date, seed: int = DEMO_SEED, quiet: bool = False
):
    """Generate the demo database, drawing a progress bar on stderr."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from assistant.demo import build_demo

    console = Console(stderr=True)
    if quiet or not sys.stderr.isatty():
        return build_demo(out, scale=scale, as_of=as_of, seed=seed)
    with Progress(
        TextColumn("[bold]building the demo company[/] {task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=1.0)

        def report(step: str, fraction: float) -> None:
            progress.update(task, completed=fraction, description=step)

        return build_demo(out, scale=scale, as_of=as_of, seed=seed, progress=report)


def ensure_demo_database(path: Path | None = None, *, quiet: bool = False) -> Path:
    """The demo database, built on first use (as of today, scale from WENSHU_DEMO_SCALE)."""
    path = path or default_demo_path()
    if not path.exists():
        if not quiet:
            print(f"First run: generating the demo company's data into {path} …", file=sys.stderr)
        build_demo_with_progress(path, scale=demo_scale(), as_of=date.today(), quiet=quiet)
    return path


@dataclass
class Workspace:
    catalog: MetricCatalog
    database: SandboxedDatabase
    default_as_of: date
    _coverage: dict[str, tuple[date, date] | None] = field(default_factory=dict, repr=False)

    def close(self) -> None:
        self.database.close()

    def coverage(self, column: str) -> tuple[date, date] | None:
        """The first and last date in ``table.column`` (read once), or None when unknown or empty."""
        if column not in self._coverage:
            table, _, name = column.partition(".")
            found = None
            try:
                rows = self.database.execute(f'SELECT MIN("{name}") AS lo, MAX("{name}") AS hi FROM "{table}"', timeout_s=10).rows
                lo, hi = rows[0] if rows else (None, None)
                if lo is not None and hi is not None:
                    found = (_as_date(lo), _as_date(hi))
            except Exception:  # noqa: BLE001 — coverage only adds a note; never fails an answer
                found = None
            self._coverage[column] = found
        return self._coverage[column]


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def open_workspace(db: Path | str | None = None, catalog: Path | str | None = None, *, quiet: bool = False) -> Workspace:
    """Open a catalog and its database; the demo's when neither is given."""
    loaded = load_catalog(Path(catalog) if catalog else demo_catalog_dir())
    if db is None and catalog is not None and loaded.source_config is not None:
        # Your own data: the catalog names its source (credentials come from the environment).
        from assistant.sources import open_catalog_source

        database = open_catalog_source(loaded)
    else:
        database = SandboxedDatabase(Path(db) if db else ensure_demo_database(quiet=quiet))
    meta = database.meta()
    # The demo's data ends the day before its as-of date, so "today" for its questions is that date.
    as_of = date.fromisoformat(meta["as_of"]) if "as_of" in meta else date.today()
    return Workspace(loaded, database, as_of)
