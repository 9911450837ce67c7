"""Profiles, paths and the small state docscan keeps between runs.

Paths are resolved once per call from the environment so tests (and users) can point
docscan elsewhere: `DOCSCAN_HOME` for data, `DOCSCAN_CONFIG_DIR` for configuration.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from docscan.errors import ConfigError

APP_NAME = "docscan"
DEFAULT_PROFILE = "local"
LOCAL_KIND = "local"
AWS_KIND = "aws"


def data_dir() -> Path:
    """Where the local profile keeps its database and page images."""
    override = os.environ.get("DOCSCAN_HOME")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def config_dir() -> Path:
    override = os.environ.get("DOCSCAN_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def config_file() -> Path:
    return config_dir() / "config.toml"


@dataclass
class Profile:
    """One named profile: its kind and its settings (all strings)."""

    name: str
    kind: str
    settings: dict[str, str] = field(default_factory=dict)

    def get(self, key: str) -> str | None:
        value = self.settings.get(key)
        return value or None

    def require(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise ConfigError(
                f"profile {self.name!r} has no {key!r}: set it with "
                f"'docscan --profile {self.name} config set {key} VALUE' or 'docscan config import'"
            )
        return value


def load_document() -> dict[str, Any]:
    path = config_file()
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None


def save_document(document: dict[str, Any]) -> None:
    """Write the config atomically, readable by the user only."""
    import tomli_w

    path = config_file()
    write_private_file(path, tomli_w.dumps(document).encode())


def write_private_file(path: Path, data: bytes) -> None:
    """Atomically replace `path` with `data`; the file is mode 0600 from its first byte."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp uses 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_profile(name: str) -> Profile:
    section = load_document().get("profiles", {}).get(name, {})
    if not isinstance(section, dict):
        raise ConfigError(f"profile {name!r} in {config_file()} is not a table")
    kind = str(section.get("kind") or (LOCAL_KIND if name == DEFAULT_PROFILE else AWS_KIND))
    if kind not in {LOCAL_KIND, AWS_KIND}:
        raise ConfigError(f"profile {name!r} has unknown kind {kind!r} (use 'local' or 'aws')")
    settings = {k: str(v) for k, v in section.items() if k != "kind"}
    return Profile(name=name, kind=kind, settings=settings)


def update_profile(name: str, values: dict[str, str | None]) -> Profile:
    """Set (or, with None, remove) settings of a profile and save the file."""
    document = load_document()
    profiles = document.setdefault("profiles", {})
    section = profiles.setdefault(name, {})
    for key, value in values.items():
        if value is None:
            section.pop(key, None)
        else:
            section[key] = value
    save_document(document)
    return load_profile(name)


def profile_names() -> list[str]:
    names = set(load_document().get("profiles", {}))
    names.add(DEFAULT_PROFILE)
    return sorted(names)
