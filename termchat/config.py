"""Settings: reading the TOML config file with environment overrides, and writing changes to it.

What a config holds is in config_schema, how each key is checked in config_check, the model
table in model_table; their public names are imported from here.

`load_config()` reads `config.toml` (tomllib), applies environment variables and returns a frozen
`Config`. `save_config()` merges changes into the file (tomli-w), atomically and with mode 0600.

This module is on the start-up path of `termchat --help` and `termchat list`: it imports only
the standard library; tomllib, tomli-w and platformdirs are imported inside the functions that
need them. The API key comes from the environment only: it is never read from, nor written to,
the config file.
"""

from __future__ import annotations

import os
from pathlib import Path

from termchat.config_check import settings_from_document, validate_base_url
from termchat.config_schema import BudgetSettings, CompactionSettings, Config, McpServer
from termchat.errors import ConfigError
from termchat.model_table import DEFAULT_MODEL, MODELS, ModelInfo, base_model_name, model_info
from termchat.paths import config_path as _default_config_path
from termchat.paths import data_dir as _default_data_dir
from termchat.paths import ensure_data_dir, read_toml, write_toml
from termchat.state_modes import STATE_MODES

TYPE_CHECKING = False  # `typing` is a start-up cost; annotations are strings anyway
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "STATE_MODES",
    "BudgetSettings",
    "CompactionSettings",
    "Config",
    "McpServer",
    "ModelInfo",
    "base_model_name",
    "ensure_data_dir",
    "load_config",
    "model_info",
    "save_config",
    "validate_base_url",
]


# --- reading and writing ----------------------------------------------------------------------


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Read the config file (missing = defaults) and apply environment overrides.

    Path: `path`, else `$TERMCHAT_CONFIG`, else `<user config dir>/termchat/config.toml`.
    Environment: OPENAI_API_KEY, OPENAI_BASE_URL, TERMCHAT_MODEL, TERMCHAT_DATA_DIR, NO_COLOR.
    Raises ConfigError (one line naming the file, and line or key) for unreadable or invalid
    files and bad environment values. Unknown keys only produce `Config.warnings`.
    """
    env = os.environ if env is None else env
    config_path = Path(path).expanduser() if path is not None else _default_config_path(env)
    try:
        doc = read_toml(config_path)
    except RecursionError:  # tomllib recurses per nesting level: `x = [[[[...` thousands deep
        raise ConfigError(f"config error: {config_path}: values are nested too deeply") from None
    settings, warnings = settings_from_document(doc or {}, config_path)

    model = env.get("TERMCHAT_MODEL", "").strip()
    if model:
        settings["model"] = model
    base_url = env.get("OPENAI_BASE_URL", "").strip()
    if base_url:
        settings["base_url"] = validate_base_url(base_url, what="OPENAI_BASE_URL")
    return Config(
        config_path=config_path,
        data_dir=_default_data_dir(env),
        api_key=env.get("OPENAI_API_KEY", "").strip() or None,
        no_color=bool(env.get("NO_COLOR", "")),
        warnings=tuple(warnings),
        **settings,
    )


def _merge(base: dict[str, Any], updates: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge `updates` into a copy of `base`; a None value removes the key."""
    merged = dict(base)
    for key, value in updates.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _without_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if k != "api_key"}
    if isinstance(value, (list, tuple)):
        return [_without_secrets(v) for v in value]
    return value


def save_config(config_path: Path, updates: Mapping[str, Any]) -> None:
    """Merge `updates` into the config file, e.g. {"theme": "x"} or {"keymap": {"send": "..."}}.

    Tables merge key by key; a None value removes a key. The merged document is checked like
    `load_config` would check it (ConfigError, file untouched, if invalid), then written
    atomically with mode 0600 (parent created 0700), through a symlink if the path is one.
    `api_key` is never written. A top-level setting is changed by editing its one line, so
    comments and layout stay; a change that needs a rewrite (tomli-w writes plain TOML) is
    refused when the file has comments, rather than dropping them.
    """
    config_path = Path(config_path).expanduser()
    target = Path(os.path.realpath(config_path))  # a symlinked config is written through the link
    current = read_toml(target) or {}
    merged = _without_secrets(_merge(current, _without_secrets(dict(updates))))
    settings_from_document(merged, config_path)
    text = _existing_text(target)
    if text is not None:
        import tomllib

        from termchat.config_lines import edit_top_level
        from termchat.paths import write_private_file

        edited = edit_top_level(text, dict(updates))
        try:
            fits = edited is not None and tomllib.loads(edited) == merged
        except tomllib.TOMLDecodeError:
            fits = False
        if fits:
            try:
                write_private_file(target, edited.encode("utf-8"))  # type: ignore[union-attr]
            except OSError as exc:
                raise ConfigError(f"config error: cannot write {config_path}: {exc.strerror or exc}") from None
            return
        if "#" in text:
            keys = ", ".join(sorted(updates))
            raise ConfigError(
                f"config error: {config_path} was not changed: setting {keys} would "
                "rewrite it and lose its comments; set it there by hand"
            )
    write_toml(target, merged)


def _existing_text(path: Path) -> str | None:
    from termchat.paths import read_settings_file

    data = read_settings_file(path)
    return data.decode("utf-8") if data is not None else None
