"""Where termchat keeps its files, and how it writes private ones.

Only the standard library is imported at module level; `platformdirs` is imported when a default
location is actually needed (an explicit `TERMCHAT_CONFIG` / `TERMCHAT_DATA_DIR` skips it).
"""

from __future__ import annotations

import os
from pathlib import Path
TYPE_CHECKING = False

from termchat.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

APP_NAME = "termchat"
CONFIG_FILE_NAME = "config.toml"

ENV_CONFIG = "TERMCHAT_CONFIG"
ENV_DATA_DIR = "TERMCHAT_DATA_DIR"

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def _env_path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "").strip()
    return Path(value).expanduser() if value else None


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """The config file: `$TERMCHAT_CONFIG`, else `<user config dir>/termchat/config.toml`."""
    env = os.environ if env is None else env
    explicit = _env_path(env, ENV_CONFIG)
    if explicit is not None:
        return explicit
    import platformdirs  # only when the default is needed

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / CONFIG_FILE_NAME


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The data directory (database, logs): `$TERMCHAT_DATA_DIR`, else the user data dir."""
    env = os.environ if env is None else env
    explicit = _env_path(env, ENV_DATA_DIR)
    if explicit is not None:
        return explicit
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) if missing; a directory termchat creates gets mode 0700.

    An existing directory keeps its permissions: the user may have pointed `TERMCHAT_DATA_DIR`
    at a directory they manage themselves, and silently chmod-ing it would be a surprise.
    Missing parents are created with the default mode (only the leaf holds our data).
    """
    path = Path(path)
    if path.is_dir():
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=PRIVATE_DIR_MODE)
    except FileExistsError:
        if not path.is_dir():
            raise ConfigError(f"{path} exists and is not a directory") from None
        return path  # created concurrently by another process: leave it alone
    except OSError as exc:
        raise ConfigError(f"cannot create directory {path}: {exc.strerror or exc}") from None
    # mkdir's mode is filtered by the umask; set it exactly so a loose umask cannot widen it.
    os.chmod(path, PRIVATE_DIR_MODE)
    return path


def ensure_data_dir(path: Path) -> Path:
    """Create the data directory with mode 0700 if it does not exist; return it.

    Permissions of an already existing directory are left unchanged (see `ensure_private_dir`).
    """
    return ensure_private_dir(path)


def write_private_file(path: Path, data: bytes) -> None:
    """Atomically replace `path` with `data`, file mode 0600, parent dir created 0700.

    Writes a temporary file in the same directory, fsyncs it and `os.replace`s it over the
    target, so readers see either the old or the new content, never half a file.
    """
    path = Path(path)
    ensure_private_dir(path.parent)
    import tempfile  # not on the start-up path

    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if hasattr(os, "fchmod"):  # mkstemp already uses 0600 on POSIX; be explicit
                os.fchmod(handle.fileno(), PRIVATE_FILE_MODE)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise
