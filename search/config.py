"""Load and validate config.toml into typed settings; HANSEARCH_<SECTION>_<KEY> overrides."""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

ENV_PREFIX = "HANSEARCH_"
DEFAULT_CONFIG = Path("config.toml")
ENGINES = ("whoosh", "xapian")


class ConfigError(ValueError):
    """A setting that is missing, unknown or of the wrong type, named in the message."""


@dataclass(frozen=True)
class CorpusSettings:
    paths: list[Path] = field(default_factory=lambda: [Path("demo/seeds"), Path("demo/articles")])
    max_file_mb: float = 20.0


@dataclass(frozen=True)
class JsonlSettings:
    """Field names of JSON Lines records; each lists the names to try, in order."""

    id: list[str] = field(default_factory=lambda: ["id"])
    title: list[str] = field(default_factory=lambda: ["title", "headline"])
    url: list[str] = field(default_factory=lambda: ["url", "link"])
    published: list[str] = field(default_factory=lambda: ["published", "published_at", "date"])
    author: list[str] = field(default_factory=lambda: ["author", "byline"])
    publisher: list[str] = field(default_factory=lambda: ["publisher", "source"])
    section: list[str] = field(default_factory=lambda: ["section"])
    body: list[str] = field(default_factory=lambda: ["body", "text", "content"])
    body_html: list[str] = field(default_factory=lambda: ["body_html", "html"])
    captions: list[str] = field(default_factory=lambda: ["captions"])
    lang: list[str] = field(default_factory=lambda: ["lang", "language"])


@dataclass(frozen=True)
class IndexSettings:
    path: Path = Path("var/index")
    engine: str = "whoosh"
    workers: int = 0
    keep_at_least: float = 0.5

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ConfigError(
                f"index.engine must be one of {', '.join(map(repr, ENGINES))}, got {self.engine!r}"
            )
        if not 0 <= self.keep_at_least <= 1:
            raise ConfigError(
                f"index.keep_at_least must be a share from 0 to 1, got {self.keep_at_least!r}"
            )


def shard_address(text: str) -> tuple[str, int]:
    """("host", port) of a shard's "host:port"."""
    host, separator, port = text.rpartition(":")
    if not (separator and host and port.isdigit() and 0 < int(port) < 65536):
        raise ConfigError(f"xapian.shards: {text!r} is not host:port (as in 10.0.0.5:8100)")
    return host.strip("[]"), int(port)


@dataclass(frozen=True)
class XapianSettings:
    # host:port of each shard's xapian-tcpsrv; empty: search the local index.
    shards: list[str] = field(default_factory=list)
    timeout_ms: int = 2000

    def __post_init__(self) -> None:
        for address in self.shards:
            shard_address(address)
        if self.timeout_ms < 1:
            raise ConfigError("xapian.timeout_ms must be at least 1")


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 0
    threads: int = 32
    cors_origins: list[str] = field(default_factory=list)
    searches_at_once: int = 2
    queue: int = 16
    queue_wait_ms: int = 1000
    search_budget_ms: int = 1000
    cache_mb: float = 64.0


@dataclass(frozen=True)
class AnalysisSettings:
    chinese_dictionary: Path | None = None
    korean_dictionary: Path | None = None


@dataclass(frozen=True)
class Settings:
    corpus: CorpusSettings = field(default_factory=CorpusSettings)
    jsonl: JsonlSettings = field(default_factory=JsonlSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    xapian: XapianSettings = field(default_factory=XapianSettings)


_SECTIONS = {f.name: f.default_factory for f in fields(Settings)}  # type: ignore[misc]


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read ``path`` (default ./config.toml, optional), apply environment overrides, and
    resolve relative paths against the config file's folder."""
    environ = os.environ if environ is None else environ
    config_path = Path(path) if path else DEFAULT_CONFIG
    raw: dict[str, Any] = {}
    if config_path.exists():
        try:
            raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{config_path}: {exc}") from exc
    elif path is not None:
        raise ConfigError(f"{config_path}: config file not found")
    base = config_path.resolve().parent
    _apply_environment(raw, environ)
    unknown = set(raw) - set(_SECTIONS)
    if unknown:
        raise ConfigError(f"{config_path}: unknown section [{sorted(unknown)[0]}]")
    sections = {
        name: _section(name, factory(), raw.get(name, {}), base, config_path)
        for name, factory in _SECTIONS.items()
    }
    return Settings(**sections)


def _apply_environment(raw: dict[str, Any], environ: dict[str, str]) -> None:
    for name, default in _SECTIONS.items():
        for f in fields(default()):
            value = environ.get(f"{ENV_PREFIX}{name}_{f.name}".upper())
            if value is not None:
                raw.setdefault(name, {})[f.name] = _parse_env(value)


def _parse_env(value: str) -> Any:
    """Environment values are TOML-like: a JSON list or number, else a plain string."""
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _section(name: str, default: Any, values: Any, base: Path, source: Path) -> Any:
    if not isinstance(values, dict):
        raise ConfigError(f"{source}: [{name}] must be a table")
    known = {f.name: f for f in fields(default)}
    converted = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{source}: unknown setting {name}.{key}")
        converted[key] = _convert(
            f"{name}.{key}", getattr(default, key), known[key].type, value, base, source
        )
    return type(default)(**{**{k: getattr(default, k) for k in known}, **converted})


def _convert(key: str, default: Any, type_name: str, value: Any, base: Path, source: Path) -> Any:
    def fail(expected: str) -> ConfigError:
        return ConfigError(f"{source}: {key} must be {expected}, got {value!r}")

    if "Path" in type_name and "list" in type_name:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail("a list of paths")
        return [_path(v, base) for v in value]
    if type_name == "list[str]":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail("a list of strings")
        return value
    if "Path" in type_name:
        if value in ("", None) and "None" in type_name:
            return None
        if not isinstance(value, str):
            raise fail("a path")
        return _path(value, base)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise fail("true or false")
        return value
    if isinstance(default, int | float):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise fail("a non-negative number")
        return type(default)(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise fail("a string")
        return value
    raise fail(type(default).__name__)


def _path(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path
