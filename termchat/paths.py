"""termchat's files: where they live, reading TOML with one-line errors, writing private files.

Only the standard library is imported at module level; `platformdirs` is imported when a default
location is actually needed (an explicit `TERMCHAT_CONFIG` / `TERMCHAT_DATA_DIR` skips it), and
tomllib / tomli-w / tempfile only when a file is actually read or written.
"""

from __future__ import annotations

import os
import sys

from termchat.errors import ConfigError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from typing import Any, TextIO

APP_NAME = "termchat"
CONFIG_FILE_NAME = "config.toml"

ENV_CONFIG = "TERMCHAT_CONFIG"
ENV_DATA_DIR = "TERMCHAT_DATA_DIR"

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def _env_path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "").strip()
    from pathlib import Path  # not on the `termchat list` fast path

    return Path(value).expanduser() if value else None


def config_path(env: Mapping[str, str] | None = None) -> Path:
    """The config file: `$TERMCHAT_CONFIG`, else `<user config dir>/termchat/config.toml`."""
    env = os.environ if env is None else env
    explicit = _env_path(env, ENV_CONFIG)
    if explicit is not None:
        return explicit
    from pathlib import Path

    base = _xdg_home(env, "XDG_CONFIG_HOME", ".config")
    if base is None:
        import platformdirs  # only when the default is needed off Linux

        return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / CONFIG_FILE_NAME
    return Path(base, APP_NAME, CONFIG_FILE_NAME)


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The data directory (database, logs): `$TERMCHAT_DATA_DIR`, else the user data dir."""
    env = os.environ if env is None else env
    explicit = _env_path(env, ENV_DATA_DIR)
    if explicit is not None:
        return explicit
    from pathlib import Path

    return Path(data_dir_name(env))


def data_dir_name(env: Mapping[str, str] | None = None) -> str:
    """`data_dir` as a plain string, without importing pathlib (the `list` fast path)."""
    env = os.environ if env is None else env
    explicit = env.get(ENV_DATA_DIR, "").strip()
    if explicit:
        return os.path.expanduser(explicit)
    base = _xdg_home(env, "XDG_DATA_HOME", ".local/share")
    if base is not None:
        return os.path.join(base, APP_NAME)
    import platformdirs

    return platformdirs.user_data_dir(APP_NAME, appauthor=False)


def _xdg_home(env: Mapping[str, str], variable: str, default: str) -> str | None:
    """On Linux, the XDG base directory platformdirs would pick; None means "ask platformdirs".

    platformdirs imports tempfile, random and more (a start-up cost) to answer what the XDG spec says in
    two lines: `$XDG_..._HOME` if it is an absolute path, else `$HOME/<default>`. Anything less
    plain (another OS, Android, a relative or missing HOME) is left to platformdirs; a test
    checks both agree.
    """
    if sys.platform != "linux" or "ANDROID_ROOT" in env:
        return None
    value = env.get(variable, "")
    if value:
        return value if value.startswith("/") else None
    home = env.get("HOME", "")
    return os.path.join(home, default) if home.startswith("/") else None


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) if missing; a directory termchat creates gets mode 0700.

    An existing directory keeps its permissions: the user may have pointed `TERMCHAT_DATA_DIR`
    at a directory they manage themselves, and silently chmod-ing it would be a surprise.
    Missing parents are created with the default mode (only the leaf holds our data).
    """
    from pathlib import Path

    path = Path(path)
    try:
        if path.is_dir():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=PRIVATE_DIR_MODE)
    except FileExistsError:
        if not path.is_dir():
            blocker = path if path.exists() else next(p for p in path.parents if p.exists())
            raise ConfigError(f"cannot create directory {path}: {blocker} is not a directory") from None
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
    from pathlib import Path

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


def open_private_text(path: str) -> TextIO:
    """`path` opened for writing text, created 0600 (an export holds a chat's history).

    An existing regular file is narrowed to 0600 too; a device or FIFO (`-o /dev/stdout`) keeps
    its mode. Raises ConfigError, one line, if the file cannot be opened.
    """
    import stat

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
    if stat.S_ISREG(os.fstat(fd).st_mode):
        os.fchmod(fd, PRIVATE_FILE_MODE)
    return open(fd, "w", encoding="utf-8")


_TOML_POSITION = (
    r"^(?P<msg>.*?) \(at (?:line (?P<line>\d+), column (?P<col>\d+)"
    r"|(?P<end>end of document))\)$"
)


MAX_CONFIG_BYTES = 1024 * 1024  # a settings file; anything bigger is not one


def read_settings_file(path: Path, limit: int = MAX_CONFIG_BYTES) -> bytes | None:
    """The bytes of a small regular file; None if it does not exist.

    A FIFO would block the read forever and /dev/zero would fill memory, so anything but a
    regular file (checked on the open descriptor, opened without blocking) is refused, and so
    is a file larger than `limit`. Errors are one-line ConfigErrors naming the file.
    """
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"config error: cannot read {path}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ConfigError(f"config error: {path} is a directory, not a file")
        if not stat.S_ISREG(mode):
            raise ConfigError(f"config error: {path} is not a regular file (a device, FIFO or socket)")
        chunks: list[bytes] = []
        size = 0
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                raise ConfigError(f"config error: {path} is larger than {limit // 1024} KB; it is not a settings file")
            chunks.append(chunk)
    except OSError as exc:
        raise ConfigError(f"config error: cannot read {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def read_toml(path: Path) -> dict[str, Any] | None:
    """Parse the TOML file at `path`; None if it does not exist.

    Any other problem is a one-line ConfigError naming the file (and line and column for
    syntax errors): unreadable, a directory, not a regular file, too large, not UTF-8, not TOML.
    """
    data = read_settings_file(path)
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"config error: {path} line {line}: not valid UTF-8") from None
    import tomllib  # not needed when there is no file

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_error_message(path, exc)) from None


def _toml_error_message(path: Path, exc: Exception) -> str:
    # tomllib says "<what> (at line 3, column 7)"; Python 3.14 also has exc.lineno/colno,
    # but the message carries the same facts on every supported version.
    text = str(exc)
    import re  # only for a broken config file

    match = re.match(_TOML_POSITION, text, re.DOTALL)
    if match is None:
        return f"config error: {path}: {' '.join(text.split())}"
    msg = match["msg"].removesuffix(" in a key/value pair")  # keep the useful head
    where = "at end of file" if match["end"] else f"line {match['line']}, column {match['col']}"
    return f"config error: {path} {where}: {msg}"


def write_toml(path: Path, document: Mapping[str, Any]) -> None:
    """Write `document` as TOML to `path` with `write_private_file` (atomic, 0600)."""
    import tomli_w

    try:
        data = tomli_w.dumps(dict(document)).encode("utf-8")
        write_private_file(path, data)
    except TypeError as exc:  # a value TOML cannot hold
        raise ConfigError(f"config error: cannot write {path}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"config error: cannot write {path}: {exc.strerror or exc}") from None
