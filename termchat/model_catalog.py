"""`termchat models`: the server's models, and the cache of them the app's model picker reads.

The list is cached per server in `models.json` in the data dir (0600) for `CACHE_MAX_AGE`;
`termchat models` always asks the server and refreshes the cache, the picker reads the cache
and asks the server only when its copy is missing or older than that.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from termchat.output import say
from termchat.sanitize import safe_json, strip_control

CACHE_FILE = "models.json"
CACHE_MAX_AGE = 24 * 3600  # seconds: a server's model list changes a few times a year
MAX_CACHED_SERVERS = 20  # servers remembered; the least recently fetched is dropped


def cached_models(
    data_dir: Path, server: str, *, now: float | None = None, max_age: float = CACHE_MAX_AGE
) -> list[str] | None:
    """The model ids cached for `server`, or None if there are none younger than `max_age`."""
    entry = _read_cache(data_dir).get(server)
    if not isinstance(entry, dict):
        return None
    fetched = entry.get("fetched_at")
    models = entry.get("models")
    if not isinstance(fetched, (int, float)) or not isinstance(models, list):
        return None
    if (time.time() if now is None else now) - fetched > max_age:
        return None
    from termchat.api_resources import MODEL_NAME

    return [m for m in models if isinstance(m, str) and MODEL_NAME.fullmatch(m)]


def save_models(data_dir: Path, server: str, models: list[str], *, now: float | None = None) -> None:
    """Remember `server`'s model ids (atomically; a cache that cannot be written is skipped)."""
    from termchat.paths import write_private_file

    cache = _read_cache(data_dir)
    cache[server] = {"fetched_at": time.time() if now is None else now, "models": list(models)}
    if len(cache) > MAX_CACHED_SERVERS:
        oldest = sorted(cache, key=lambda s: cache[s].get("fetched_at", 0) if isinstance(cache[s], dict) else 0)
        for stale in oldest[: len(cache) - MAX_CACHED_SERVERS]:
            del cache[stale]
    try:
        write_private_file(data_dir / CACHE_FILE, json.dumps(cache, indent=1).encode())
    except OSError as exc:
        say(f"could not cache the model list in {data_dir}: {exc.strerror or exc}", level="warning")


def _read_cache(data_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((data_dir / CACHE_FILE).read_bytes())
    except (OSError, ValueError):
        return {}  # missing or broken: fetched again
    return data if isinstance(data, dict) else {}


def fetch_models(ctx: Any) -> list[dict[str, Any]]:
    """The server's models (sorted), cached for the picker."""
    from termchat.api_resources import list_models

    models = list_models(ctx.api)
    save_models(Path(ctx.data_dir), ctx.api.server, [m["id"] for m in models])
    return models


def default_model(ctx: Any) -> str:
    """The model a new chat uses: the config's, an alias resolved."""
    from termchat.request_settings import resolve_model

    return resolve_model(ctx.config.model, ctx.config.aliases)


def models_cmd(ctx: Any, args: argparse.Namespace) -> int:
    models = fetch_models(ctx)
    default = default_model(ctx)
    aliases: dict[str, list[str]] = {}
    for alias, target in ctx.config.aliases.items():
        aliases.setdefault(target, []).append(alias)
    if args.json:
        rows = [
            {
                "id": m["id"],
                "owned_by": m["owned_by"],
                "created": m["created"],
                "default": m["id"] == default,
                "aliases": sorted(aliases.get(m["id"], [])),
            }
            for m in models
        ]
        sys.stdout.write(safe_json(rows, indent=2) + "\n")
        return 0
    if not models:
        say("the server lists no models")
        return 0
    width = max(len(m["id"]) for m in models)
    for m in models:
        notes = (["default"] if m["id"] == default else []) + [
            f"alias {strip_control(a)}" for a in sorted(aliases.get(m["id"], []))
        ]
        mark = "*" if m["id"] == default else " "
        line = f"{mark} {m['id']:<{width}}  {', '.join(notes)}" if notes else f"{mark} {m['id']}"
        sys.stdout.write(line.rstrip() + "\n")
    if default not in {m["id"] for m in models}:
        say(
            f"the default model {strip_control(default)} is not in this server's list "
            "(set `model` in the config, or use -m)",
            level="note",
        )
    return 0
