"""Settings from the environment and from a TOML config file, under the command line.

One precedence for every setting defined in :mod:`crawler.settings` (each ``UPPER_CASE``
name there, the ``THEPAPER_*`` ones and Scrapy's own, present and future):

    command line (options, ``-s NAME=VALUE``) > environment > config file > defaults

* **Environment**: a variable of the setting's name (``THEPAPER_MAX_ARTICLES=50``,
  ``DOWNLOAD_DELAY=5``). ``THEPAPER_ARCHIVE_DB`` is the environment name of
  ``THEPAPER_DB_URL``. Text is converted to the type of the default: numbers, booleans
  (``1/0``, ``true/false``, ``yes/no``, ``on/off``), lists (comma-separated or JSON), dicts (JSON).
* **Config file** (TOML): ``--config FILE``, else ``$THEPAPER_CONFIG``, else
  ``./thepaper-archive.toml`` when it exists. Top-level keys are setting names (any case);
  Scrapy's own settings are accepted too; an unknown name is an error (a typo would
  otherwise be ignored silently).

The layers are Scrapy settings priorities between ``project`` (the settings module) and
``cmdline``, applied by :func:`apply` for the command line and, for ``scrapy crawl``, by the
:class:`LayeredSettings` add-on (``ADDONS`` in the settings), so both read the same layers.
What Scrapy builds before the add-ons run (the spider, the process's name resolver) reads
:func:`layered` settings.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Scrapy settings priorities of the layers (``project`` is 20, ``spider`` 30, ``cmdline`` 40).
CONFIG_PRIORITY = 21
ENV_PRIORITY = 22
#: The config file read when neither --config nor $THEPAPER_CONFIG names one.
DEFAULT_CONFIG = Path("thepaper-archive.toml")
#: Environment names that differ from the setting's name.
ENV_ALIASES = {"THEPAPER_ARCHIVE_DB": "THEPAPER_DB_URL"}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(ValueError):
    """A setting given in the environment or the config file that cannot be used."""


def defaults() -> dict[str, Any]:
    """Every setting of :mod:`crawler.settings` with its default."""
    from crawler import settings as module

    return {name: getattr(module, name) for name in dir(module) if name.isupper() and not name.startswith("_")}


def _scrapy_names() -> set[str]:
    from scrapy.settings import default_settings

    return {name for name in dir(default_settings) if name.isupper()}


def convert(name: str, value: Any, default: Any, where: str) -> Any:
    """``value`` (text from the environment, or a TOML value) as the type of ``default``."""

    def bad(expected: str) -> ConfigError:
        return ConfigError(f"{name}={value!r} in {where}: expected {expected}")

    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise bad("true or false")
    if isinstance(default, int) and not isinstance(value, bool):
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad("a whole number") from None
    if isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        try:
            return float(str(value).strip())
        except ValueError:
            raise bad("a number") from None
    if isinstance(default, (list, tuple)):
        if isinstance(value, list):
            return value
        text = str(value).strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except ValueError:
                raise bad("a JSON list or comma-separated values") from None
            if isinstance(parsed, list):
                return parsed
        return [x.strip() for x in text.split(",") if x.strip()]
    if isinstance(default, dict):
        if isinstance(value, dict):
            return value
        try:
            parsed = json.loads(str(value))
        except ValueError:
            raise bad("a JSON object") from None
        if not isinstance(parsed, dict):
            raise bad("a JSON object")
        return parsed
    if isinstance(default, str) and not isinstance(value, str):
        raise bad("text")
    return value


def from_environment(environ: Mapping[str, str], known: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings the environment gives (by name, or by an alias of :data:`ENV_ALIASES`)."""
    known = defaults() if known is None else known
    out: dict[str, Any] = {}
    for env_name, name in [*((n, n) for n in known), *ENV_ALIASES.items()]:
        if env_name in environ and name in known:
            if env_name in ENV_ALIASES and name in environ:
                continue  # the setting's own name wins over its alias
            out[name] = convert(name, environ[env_name], known[name], f"the environment ({env_name})")
    return out


def config_path(explicit: str | None, environ: Mapping[str, str]) -> Path | None:
    """The config file in force: ``explicit`` (must exist), ``$THEPAPER_CONFIG`` (must exist),
    else ``./thepaper-archive.toml`` if present, else None."""
    for given, origin in ((explicit, "--config"), (environ.get("THEPAPER_CONFIG"), "$THEPAPER_CONFIG")):
        if given:
            path = Path(given).expanduser()
            if not path.is_file():
                raise ConfigError(f"config file {given} ({origin}) does not exist")
            return path
    return DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None


def from_file(path: Path, known: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings of a TOML config file, checked and converted."""
    known = defaults() if known is None else known
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    out: dict[str, Any] = {}
    scrapy_names = None
    for key, value in data.items():
        name = ENV_ALIASES.get(key.upper(), key.upper())
        if name in known:
            out[name] = convert(name, value, known[name], str(path))
            continue
        scrapy_names = _scrapy_names() if scrapy_names is None else scrapy_names
        if name not in scrapy_names:
            raise ConfigError(
                f"unknown setting {key!r} in {path} (names are those of crawler/settings.py or Scrapy's settings)"
            )
        out[name] = value
    return out


def layers(
    explicit_config: str | None = None, environ: Mapping[str, str] | None = None
) -> list[tuple[dict[str, Any], int]]:
    """``[(config file settings, priority), (environment settings, priority)]``, lowest first."""
    environ = os.environ if environ is None else environ
    known = defaults()
    path = config_path(explicit_config, environ)
    return [(from_file(path, known) if path else {}, CONFIG_PRIORITY), (from_environment(environ, known), ENV_PRIORITY)]


def value(name: str, explicit_config: str | None = None, environ: Mapping[str, str] | None = None) -> Any:
    """One setting's value from the environment and the config file, else its default in
    :mod:`crawler.settings` (commands that run no spider)."""
    found = defaults()[name]
    for values, _priority in layers(explicit_config, environ):
        if name in values:
            found = values[name]
    return found


def apply(settings, explicit_config: str | None = None, environ: Mapping[str, str] | None = None) -> None:
    """Set the config file's and the environment's settings on Scrapy ``settings`` at their priorities."""
    for values, priority in layers(explicit_config, environ):
        for name, val in values.items():
            settings.set(name, val, priority=priority)


def layered(settings):
    """``settings`` with the environment and the config file on them, for a component that Scrapy
    builds before its add-ons run (``scrapy crawl`` makes the spider, and its process the name
    resolver, first): the object itself while it can change, else a copy. Applying the layers
    again at the same priorities changes nothing."""
    target = settings.copy() if settings.frozen else settings
    apply(target, target.get("THEPAPER_CONFIG") or None)
    return target


class LayeredSettings:
    """Scrapy add-on: the environment and the config file (``THEPAPER_CONFIG``) for ``scrapy crawl``."""

    def update_settings(self, settings) -> None:
        before = settings.get("LOG_LEVEL")
        apply(settings, settings.get("THEPAPER_CONFIG") or None)
        if settings.get("LOG_LEVEL") != before:
            # Scrapy configured its log handler before the add-ons ran: again, with the new level.
            from scrapy.utils.log import get_scrapy_root_handler, install_scrapy_root_handler

            if get_scrapy_root_handler() is not None:
                install_scrapy_root_handler(settings)
