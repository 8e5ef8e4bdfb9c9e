"""Colour themes as data: `themes/*.toml` (shipped) and `<config dir>/themes/*.toml` (user)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textual.theme import Theme

DEFAULT_THEME = "termchat-dark"
BUILTIN_THEMES = ("termchat-dark", "termchat-light", "termchat-high-contrast")
_FIELDS = (
    "name",
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "success",
    "warning",
    "error",
    "dark",
    "variables",
)


def shipped_theme_dir() -> Path:
    """`termchat/themes` inside a wheel, else the repository's top-level `themes/` (editable)."""
    # Next to the package's files, not importlib.resources: that imports zipfile and more, which
    # the first frame would wait for, for a package that is always installed as plain files.
    packaged = Path(__file__).resolve().parents[1] / "themes"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "themes"


def theme_from_toml(path: Path) -> Theme:
    """Read one theme file; raises ValueError with the file name when it is not a theme."""
    from termchat.errors import ConfigError
    from termchat.paths import read_settings_file

    try:
        raw = read_settings_file(path)  # a FIFO or a device named *.toml must not hang the app
        data: dict[str, Any] = tomllib.loads((raw or b"").decode("utf-8"))
    except ConfigError as exc:
        raise ValueError(exc.message.removeprefix("config error: ")) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    unknown = set(data) - set(_FIELDS)
    if unknown:
        raise ValueError(f"{path}: unknown theme keys {', '.join(sorted(unknown))}")
    if not isinstance(data.get("name"), str) or not isinstance(data.get("primary"), str):
        raise ValueError(f"{path}: a theme needs at least `name` and `primary`")
    variables = data.get("variables") or {}
    data["variables"] = {str(k): str(v) for k, v in variables.items()}
    try:
        return Theme(**data)
    except Exception as exc:  # Theme validates colours lazily; report the file either way
        raise ValueError(f"{path}: {exc}") from None


def load_themes(dirs: Iterable[Path]) -> tuple[list[Theme], list[str]]:
    """All themes in `dirs` (later dirs override earlier names) and one warning per bad file."""
    themes: dict[str, Theme] = {}
    warnings: list[str] = []
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                theme = theme_from_toml(path)
            except ValueError as exc:
                warnings.append(f"theme ignored: {exc}")
                continue
            themes[theme.name] = theme
    return list(themes.values()), warnings


def theme_dirs(config_path: Path | None) -> list[Path]:
    dirs = [shipped_theme_dir()]
    if config_path is not None:
        dirs.append(Path(config_path).parent / "themes")
    return dirs
