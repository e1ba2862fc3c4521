"""LLM settings: which endpoint, which model, which engine, how long to wait.

One place, one precedence (first found wins, per setting):

1. arguments (``load_config(engine="hybrid", model=...)``, ``--engine`` on the CLI);
2. environment: ``WENSHU_ENGINE``, ``WENSHU_LLM_MODEL``, ``OPENAI_BASE_URL``,
   ``OPENAI_API_KEY``, ``WENSHU_LLM_TIMEOUT``;
3. the config file ``config.toml`` in ``$WENSHU_HOME`` when that is set, else in
   ``$XDG_CONFIG_HOME/wenshu`` (``~/.config/wenshu``), section ``[llm]``;
4. defaults: engine ``rules``, 20 s budget per question, 3 s to connect.

No endpoint is ever contacted unless the engine is ``llm`` or ``hybrid`` and a
model is configured.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal, get_args

EngineName = Literal["rules", "llm", "hybrid"]
ENGINES: tuple[str, ...] = get_args(EngineName)


class ConfigError(ValueError):
    """A setting has a value Wenshu cannot use; the message names it and its source."""


@dataclass(frozen=True)
class LLMConfig:
    """Everything the LLM path needs; frozen, so one value travels through a request."""

    engine: EngineName = "rules"
    model: str | None = None
    base_url: str | None = None  # None: the OpenAI API itself
    api_key: str | None = None  # never printed: see __repr__
    timeout_s: float = 20.0  # total budget for one question, all calls and repairs included
    connect_timeout_s: float = 3.0
    max_retries: int = 1  # our own retries on connection errors, 429 and 5xx, within the budget
    temperature: float = 0.0
    threshold: float = 0.75  # hybrid: below this rules confidence, ask the LLM
    free_sql: bool = True  # allow the free-SQL fallback for questions plans cannot express
    row_cap: int = 1000  # rows a free-SQL answer may return
    source: str = "defaults"  # where the settings came from, for `wenshu doctor`-style output

    def __repr__(self) -> str:  # the API key must never reach a log or a traceback
        shown = ", ".join(
            f"{f.name}={'***' if f.name == 'api_key' and getattr(self, f.name) else repr(getattr(self, f.name))}"
            for f in fields(self)
        )
        return f"LLMConfig({shown})"

    __str__ = __repr__

    @property
    def configured(self) -> bool:
        """A model is named, and there is an endpoint or a key to reach one."""
        return bool(self.model) and bool(self.base_url or self.api_key)

    @property
    def missing(self) -> str | None:
        """What to set before the LLM can be used, or None."""
        if not self.model:
            return "set WENSHU_LLM_MODEL (or model = ... under [llm] in config.toml)"
        if not (self.base_url or self.api_key):
            return "set OPENAI_BASE_URL for a local/compatible server, or OPENAI_API_KEY for the OpenAI API"
        return None

    def with_changes(self, **changes: Any) -> LLMConfig:
        return _checked(replace(self, **changes))


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """``$WENSHU_HOME/config.toml`` when WENSHU_HOME is set, else ``~/.config/wenshu/config.toml``."""
    env = os.environ if env is None else env
    if env.get("WENSHU_HOME"):
        return Path(env["WENSHU_HOME"]).expanduser() / "config.toml"
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "wenshu" / "config.toml"


_ENV = {
    "engine": "WENSHU_ENGINE",
    "model": "WENSHU_LLM_MODEL",
    "base_url": "OPENAI_BASE_URL",
    "api_key": "OPENAI_API_KEY",
    "timeout_s": "WENSHU_LLM_TIMEOUT",
}
_FILE_KEYS = {f.name for f in fields(LLMConfig)} - {"source"}


def load_config(
    *,
    env: Mapping[str, str] | None = None,
    path: Path | str | None = None,
    **overrides: Any,
) -> LLMConfig:
    """Settings from arguments, then environment, then the config file, then defaults.

    ``overrides`` with value None are ignored, so ``load_config(engine=args.engine)``
    works whether or not the flag was given.
    """
    env = os.environ if env is None else env
    file = Path(path) if path is not None else config_path(env)
    values: dict[str, Any] = {}
    sources: list[str] = []
    if file.is_file():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, OSError) as exc:
            raise ConfigError(f"{file}: {exc}") from exc
        section = data.get("llm", {})
        if not isinstance(section, dict):
            raise ConfigError(f"{file}: [llm] should be a table of settings")
        if "engine" in data and "engine" not in section:
            section = {**section, "engine": data["engine"]}
        unknown = set(section) - _FILE_KEYS
        if unknown:
            raise ConfigError(f"{file}: unknown setting(s) under [llm]: {', '.join(sorted(unknown))}")
        values.update(section)
        sources.append(str(file))
    for name, var in _ENV.items():
        if env.get(var):
            values[name] = env[var]
            sources.append(f"${var}")
    given = {k: v for k, v in overrides.items() if v is not None}
    unknown = set(given) - _FILE_KEYS
    if unknown:
        raise ConfigError(f"unknown LLM setting(s): {', '.join(sorted(unknown))}")
    values.update(given)
    if given:
        sources.append("arguments")
    try:
        config = LLMConfig(**_coerce(values), source=", ".join(sources) or "defaults")
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"LLM settings ({', '.join(sources) or 'defaults'}): {exc}") from exc
    return _checked(config)


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for name in ("timeout_s", "connect_timeout_s", "temperature", "threshold"):
        if name in out:
            out[name] = float(out[name])
    for name in ("max_retries", "row_cap"):
        if name in out:
            out[name] = int(out[name])
    if "free_sql" in out and isinstance(out["free_sql"], str):
        out["free_sql"] = out["free_sql"].strip().lower() in ("1", "true", "yes", "on")
    if "engine" in out:
        out["engine"] = str(out["engine"]).strip().lower()
    if out.get("base_url"):
        out["base_url"] = str(out["base_url"]).rstrip("/")
    return out


def _checked(config: LLMConfig) -> LLMConfig:
    if config.engine not in ENGINES:
        raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, not {config.engine!r} (from {config.source})")
    if config.timeout_s <= 0 or config.connect_timeout_s <= 0:
        raise ConfigError("timeouts must be positive seconds")
    if not 0 <= config.max_retries <= 5:
        raise ConfigError("max_retries must be between 0 and 5")
    if not 0 <= config.threshold <= 1:
        raise ConfigError("threshold must be between 0 and 1")
    if not 1 <= config.row_cap <= 100_000:
        raise ConfigError("row_cap must be between 1 and 100000")
    return config
