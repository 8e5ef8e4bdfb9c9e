"""Config: defaults, the file, environment overrides, errors a user can act on, safe writing."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from termchat import paths
from termchat.config import (
    DEFAULT_MODEL,
    MODELS,
    CompactionSettings,
    Config,
    McpServer,
    base_model_name,
    ensure_data_dir,
    load_config,
    model_info,
    save_config,
    validate_base_url,
)
from termchat.errors import ConfigError


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An environment that points termchat at tmp_path only."""
    return {"TERMCHAT_CONFIG": str(tmp_path / "config.toml"), "TERMCHAT_DATA_DIR": str(tmp_path / "data")}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- defaults and the model table ---------------------------------------------------------------


def test_defaults_without_a_file(tmp_path: Path, env: dict[str, str]) -> None:
    config = load_config(env=env)
    assert config == Config(config_path=tmp_path / "config.toml", data_dir=tmp_path / "data")
    assert config.model == DEFAULT_MODEL == "gpt-5.2" == MODELS[0].name
    assert config.state == "conversation"
    assert config.instructions is None
    assert config.tools == ()
    assert config.tool_choice == "auto"
    assert config.theme == "termchat-dark"
    assert dict(config.keymap) == {}
    assert config.compaction == CompactionSettings(enabled=True, threshold=0.8)
    assert config.mcp_servers == ()
    assert dict(config.pricing) == {}
    assert config.base_url is None and config.api_key is None
    assert config.no_color is False
    assert config.warnings == ()
    assert not (tmp_path / "data").exists()  # loading never creates anything


def test_default_paths_come_from_platformdirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    config = load_config(env={})
    if sys.platform.startswith("linux"):
        assert config.config_path == tmp_path / "xdg-config" / "termchat" / "config.toml"
        assert config.data_dir == tmp_path / "xdg-data" / "termchat"
    assert config.config_path.name == "config.toml"


def test_model_table() -> None:
    names = [m.name for m in MODELS]
    assert names == ["gpt-5.2", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4o", "o4-mini"]
    assert model_info("gpt-4.1").context_window == 1_047_576
    assert model_info("gpt-4o-2024-08-06").name == "gpt-4o"
    assert model_info("llama3") is None
    assert base_model_name("gpt-5-mini-2025-08-07") == "gpt-5-mini"
    assert base_model_name("gpt-4o-mini") == "gpt-4o-mini"


# --- the file -----------------------------------------------------------------------------------

FULL = '''
model = "gpt-4.1"
state = "local"
instructions = """Be brief.
Answer in English."""
tools = ["web_search", "code_interpreter:4g"]
tool_choice = "required"
theme = "nord"
base_url = "http://localhost:8000/v1/"

[keymap]
send = "ctrl+j"
"app.quit" = "ctrl+q"

[compaction]
enabled = false
threshold = 0.5

[[mcp_servers]]
label = "docs"
url = "https://mcp.example.com/sse"
allowed_tools = ["search", "fetch"]
require_approval = "never"
headers_env = "DOCS_MCP_TOKEN"

[[mcp_servers]]
label = "local"
url = "http://127.0.0.1:9000/mcp"

[pricing.models."gpt-4.1"]
input = 1.5
output = 6
[pricing.tools]
web_search = 12.5
code_interpreter = { "1g" = 0.05 }
'''


def test_full_file_is_parsed(tmp_path: Path, env: dict[str, str]) -> None:
    write(tmp_path / "config.toml", FULL)
    config = load_config(env=env)
    assert config.model == "gpt-4.1"
    assert config.state == "local"
    assert config.instructions == "Be brief.\nAnswer in English."
    assert config.tools == ("web_search", "code_interpreter:4g")
    assert config.tool_choice == "required"
    assert config.theme == "nord"
    assert config.base_url == "http://localhost:8000/v1"
    assert dict(config.keymap) == {"send": "ctrl+j", "app.quit": "ctrl+q"}
    assert config.compaction == CompactionSettings(enabled=False, threshold=0.5)
    assert config.mcp_servers == (
        McpServer("docs", "https://mcp.example.com/sse", ("search", "fetch"), "never", "DOCS_MCP_TOKEN"),
        McpServer("local", "http://127.0.0.1:9000/mcp"),
    )
    assert config.mcp_servers[1].require_approval == "always"
    assert config.mcp_servers[1].allowed_tools is None
    assert config.pricing["models"] == {"gpt-4.1": {"input": 1.5, "output": 6.0}}
    assert config.pricing["tools"] == {"web_search": 12.5, "code_interpreter": {"1g": 0.05}}
    assert config.warnings == ()


def test_config_is_frozen(env: dict[str, str]) -> None:
    config = load_config(env=env)
    with pytest.raises(AttributeError):
        config.model = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.keymap["send"] = "x"  # type: ignore[index]


def test_explicit_path_argument_wins(tmp_path: Path, env: dict[str, str]) -> None:
    other = write(tmp_path / "other.toml", 'theme = "other"\n')
    config = load_config(other, env=env)
    assert config.config_path == other and config.theme == "other"


def test_mcp_headers_come_from_the_named_variable() -> None:
    server = McpServer("docs", "https://mcp.example.com", headers_env="DOCS_TOKEN")
    assert server.headers({}) == {}
    assert server.headers({"DOCS_TOKEN": "abc"}) == {"Authorization": "Bearer abc"}
    assert server.headers({"DOCS_TOKEN": "Bearer abc"}) == {"Authorization": "Bearer abc"}
    assert server.headers({"DOCS_TOKEN": '{"X-Api-Key": "k"}'}) == {"X-Api-Key": "k"}
    with pytest.raises(ConfigError) as err:
        server.headers({"DOCS_TOKEN": '{"X-Api-Key": 1, "secret": "s3cr3t"}'})
    assert "DOCS_TOKEN" in err.value.message and "s3cr3t" not in err.value.message


# --- environment --------------------------------------------------------------------------------


def test_environment_overrides(tmp_path: Path, env: dict[str, str]) -> None:
    write(tmp_path / "config.toml", 'model = "gpt-4o"\nbase_url = "http://file.example"\n')
    env |= {
        "OPENAI_API_KEY": "sk-test-123",
        "OPENAI_BASE_URL": "https://proxy.example/v1/",
        "TERMCHAT_MODEL": "o4-mini",
        "NO_COLOR": "1",
    }
    config = load_config(env=env)
    assert config.api_key == "sk-test-123"
    assert config.base_url == "https://proxy.example/v1"
    assert config.model == "o4-mini"
    assert config.no_color is True
    assert config.data_dir == tmp_path / "data"
    assert "sk-test-123" not in repr(config)  # the key never shows up in reprs or logs


def test_empty_environment_values_are_unset(env: dict[str, str]) -> None:
    config = load_config(env=env | {"NO_COLOR": "", "OPENAI_API_KEY": " ", "TERMCHAT_MODEL": ""})
    assert config.no_color is False and config.api_key is None and config.model == DEFAULT_MODEL


def test_bad_base_url_in_environment(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL must be an http"):
        load_config(env=env | {"OPENAI_BASE_URL": "localhost:8000"})


def test_api_key_in_the_file_is_ignored_with_a_warning(tmp_path: Path, env: dict[str, str]) -> None:
    write(tmp_path / "config.toml", 'api_key = "sk-from-file"\nmodel = "gpt-4o"\n')
    config = load_config(env=env)
    assert config.api_key is None
    assert config.model == "gpt-4o"
    assert len(config.warnings) == 1
    assert "api_key" in config.warnings[0] and "OPENAI_API_KEY" in config.warnings[0]
    assert "sk-from-file" not in config.warnings[0]
    assert load_config(env=env | {"OPENAI_API_KEY": "sk-env"}).api_key == "sk-env"


def test_unknown_keys_are_warnings(tmp_path: Path, env: dict[str, str]) -> None:
    write(
        tmp_path / "config.toml",
        'colour = "red"\n[compaction]\nthreshhold = 0.5\n'
        '[[mcp_servers]]\nlabel = "x"\nurl = "https://x.example"\n'
        'headers = { Authorization = "Bearer s" }\n',
    )
    config = load_config(env=env)
    assert len(config.warnings) == 3
    assert "colour" in config.warnings[0] and "compaction.threshhold" in config.warnings[1]
    assert "headers" in config.warnings[2] and "headers_env" in config.warnings[2]
    assert config.compaction.threshold == 0.8
    assert "Bearer s" not in " ".join(config.warnings)


# --- errors -------------------------------------------------------------------------------------


def test_broken_toml_names_file_line_and_column(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path / "config.toml", 'model = "gpt-4o"\ntheme = "x"\nstate conversation\n')
    with pytest.raises(ConfigError) as err:
        load_config(env=env)
    message = err.value.one_line()
    assert message == (f"config error: {path} line 3, column 7: Expected '=' after a key")
    assert err.value.exit_code == 2


def test_broken_toml_at_end_of_file(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path / "config.toml", 'tools = ["web_search",')
    with pytest.raises(ConfigError, match=f"^config error: {path} at end of file: "):
        load_config(env=env)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("model = 3", "model"),
        ('model = ""', "model"),
        ('state = "weird"', "state"),
        ("instructions = 1", "instructions"),
        ('tools = "web_search"', "tools"),
        ("tools = [1]", r"tools\[0\]"),
        ("keymap = 1", "keymap"),
        ("[keymap]\nsend = 1", "keymap.send"),
        ('[compaction]\nthreshold = "x"', "compaction.threshold"),
        ("[compaction]\nthreshold = 0", "compaction.threshold"),
        ("[compaction]\nthreshold = 1.5", "compaction.threshold"),
        ("[compaction]\nthreshold = true", "compaction.threshold"),
        ('[compaction]\nenabled = "yes"', "compaction.enabled"),
        ('base_url = "ftp://x"', "base_url"),
        ('mcp_servers = "x"', "mcp_servers"),
        ('[[mcp_servers]]\nurl = "https://x.example"', r"mcp_servers\[0\].label"),
        ('[[mcp_servers]]\nlabel = "a"\nurl = "x"', r"mcp_servers\[0\].url"),
        (
            '[[mcp_servers]]\nlabel = "a"\nurl = "https://x"\nrequire_approval = "sometimes"',
            r"mcp_servers\[0\].require_approval",
        ),
        (
            '[[mcp_servers]]\nlabel = "a"\nurl = "https://x"\nallowed_tools = "search"',
            r"mcp_servers\[0\].allowed_tools",
        ),
        (
            '[[mcp_servers]]\nlabel = "a"\nurl = "https://x"\n[[mcp_servers]]\nlabel = "a"\nurl = "https://y"',
            r"mcp_servers\[1\].label",
        ),
        ('[pricing.models."x"]\ninput = 1', r"pricing.models.x.output"),
        ('[pricing.models."x"]\ninput = -1\noutput = 1', r"pricing.models.x.input"),
        ('[pricing.tools]\nweb_search = "ten"', r"pricing.tools.web_search"),
        ('[notify]\nbell = "no"', "notify.bell"),
    ],
)
def test_wrong_types_name_file_and_key(tmp_path: Path, env: dict[str, str], text: str, key: str) -> None:
    path = write(tmp_path / "config.toml", text + "\n")
    with pytest.raises(ConfigError, match=rf"^config error: {path}: {key} "):
        load_config(env=env)


def test_notify_bell_defaults_on_and_can_be_turned_off(tmp_path: Path, env: dict[str, str]) -> None:
    assert load_config(tmp_path / "none.toml", env=env).bell is True
    path = write(tmp_path / "config.toml", "[notify]\nbell = false\n")
    assert load_config(path, env=env).bell is False


def test_headers_env_must_be_a_name_and_is_never_echoed(tmp_path: Path, env: dict[str, str]) -> None:
    write(
        tmp_path / "config.toml", '[[mcp_servers]]\nlabel = "a"\nurl = "https://x"\nheaders_env = "Bearer sk-secret"\n'
    )
    with pytest.raises(ConfigError) as err:
        load_config(env=env)
    assert "headers_env" in err.value.message and "sk-secret" not in err.value.message


@pytest.mark.skipif(
    os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads any file; POSIX permissions only"
)
def test_unreadable_file(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path / "config.toml", 'theme = "x"\n')
    path.chmod(0)
    with pytest.raises(ConfigError, match=f"cannot read {path}"):
        load_config(env=env)


def test_read_error_is_a_config_error(tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "config.toml", 'theme = "x"\n')

    real_open = os.open

    def denied(name, *args, **kwargs):  # root may read anything: simulate what others get
        if str(name) == str(path):
            raise PermissionError(13, "Permission denied", str(name))
        return real_open(name, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(ConfigError, match=f"^config error: cannot read {path}: Permission denied$"):
        load_config(env=env)


def test_config_path_is_a_directory(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "config.toml").mkdir()
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(env=env)


def test_invalid_utf8(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "config.toml").write_bytes(b'theme = "ok"\nmodel = "\xff\xfe"\n')
    with pytest.raises(ConfigError, match=r"line 2: not valid UTF-8"):
        load_config(env=env)


# --- base URL -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://localhost:8000/v1", "http://localhost:8000/v1"),
        ("https://api.example.com/v1/", "https://api.example.com/v1"),
        ("https://api.example.com", "https://api.example.com"),
        ("HTTP://[::1]:11434/v1", "HTTP://[::1]:11434/v1"),
    ],
)
def test_valid_base_urls(url: str, expected: str) -> None:
    assert validate_base_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "localhost:8000",
        "ftp://example.com",
        "http://",
        "http:///v1",
        "https://x:99999",
        "https://x:port",
        "http://host/v1?x=1",
        "http://host/#frag",
        "http://ho st/",
        "",
        "http://host/\x1b[2J",
    ],
)
def test_invalid_base_urls(url: str) -> None:
    with pytest.raises(ConfigError) as err:
        validate_base_url(url)
    assert err.value.message == f"--base-url must be an http(s) URL, got {url!r}"


def test_base_url_with_credentials_is_refused_with_the_password_masked() -> None:
    with pytest.raises(ConfigError) as err:
        validate_base_url("http://user:pw-secret@host/v1")
    assert err.value.message == "--base-url must not contain a user name or password, got 'http://user:***@host/v1'"
    assert "pw-secret" not in err.value.one_line()


# --- writing ------------------------------------------------------------------------------------


def test_save_config_creates_a_private_file_and_round_trips(tmp_path: Path, env: dict[str, str]) -> None:
    path = tmp_path / "new" / "config.toml"
    save_config(path, {"theme": "nord", "keymap": {"send": "ctrl+j"}})
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    config = load_config(path, env=env)
    assert config.theme == "nord" and dict(config.keymap) == {"send": "ctrl+j"}

    # a second save merges tables key by key and keeps everything else
    save_config(path, {"keymap": {"quit": "ctrl+q"}, "compaction": {"threshold": 0.6}})
    config = load_config(path, env=env)
    assert config.theme == "nord"
    assert dict(config.keymap) == {"send": "ctrl+j", "quit": "ctrl+q"}
    assert config.compaction.threshold == 0.6 and config.compaction.enabled is True
    assert mode(path) == 0o600

    # None removes a key
    save_config(path, {"keymap": {"send": None}, "theme": None})
    config = load_config(path, env=env)
    assert dict(config.keymap) == {"quit": "ctrl+q"} and config.theme == "termchat-dark"
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temp files left


def test_save_config_keeps_unknown_keys_and_existing_values(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path / "config.toml", FULL + "future_option = 1\n")
    path.chmod(0o644)
    save_config(path, {"theme": "light"})
    assert mode(path) == 0o600  # tightened on rewrite
    config = load_config(path, env=env)
    assert config.theme == "light" and len(config.mcp_servers) == 2
    assert "future_option" in path.read_text()


def test_save_config_never_writes_an_api_key(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", 'api_key = "sk-old"\n')
    save_config(path, {"api_key": "sk-new", "theme": "x", "pricing": {"api_key": "sk-nested"}})
    text = path.read_text()
    assert "api_key" not in text and "sk-" not in text


def test_save_config_refuses_invalid_values_and_broken_files(tmp_path: Path) -> None:
    path = write(tmp_path / "config.toml", 'theme = "kept"\n')
    with pytest.raises(ConfigError, match="state"):
        save_config(path, {"state": "weird"})
    assert path.read_text() == 'theme = "kept"\n'

    write(path, "theme = \n")
    with pytest.raises(ConfigError, match="line 1"):
        save_config(path, {"theme": "x"})
    assert path.read_text() == "theme = \n"  # a broken file is not clobbered


# --- data dir -----------------------------------------------------------------------------------


def test_ensure_data_dir_creates_it_private(tmp_path: Path) -> None:
    data = tmp_path / "a" / "b" / "data"
    old_umask = os.umask(0o022)
    try:
        assert ensure_data_dir(data) == data
    finally:
        os.umask(old_umask)
    assert data.is_dir() and mode(data) == 0o700
    assert ensure_data_dir(data) == data  # idempotent


def test_ensure_data_dir_leaves_an_existing_directory_alone(tmp_path: Path) -> None:
    data = tmp_path / "shared"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    ensure_data_dir(data)
    assert mode(data) == 0o755


def test_ensure_data_dir_on_a_file_is_a_config_error(tmp_path: Path) -> None:
    write(tmp_path / "file", "")
    with pytest.raises(ConfigError):
        ensure_data_dir(tmp_path / "file")


def test_importing_config_stays_light() -> None:
    import subprocess

    code = (
        "import sys, termchat.config, termchat.pricing, termchat.sanitize; "
        "print(sorted(m for m in ('textual', 'openai', 'rich', 'tomllib', 'tomli_w', "
        "'platformdirs', 'typing', 'tempfile', 'json') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.skipif(sys.platform != "linux", reason="the XDG shortcut is Linux-only")
@pytest.mark.parametrize("xdg", [None, "/srv/xdg", "relative/xdg"])
@pytest.mark.parametrize("home", ["/home/ann", "/home/ann/", "/"])
def test_default_dirs_are_what_platformdirs_says(xdg, home, monkeypatch):
    """data/config locations computed without importing platformdirs match platformdirs."""
    import platformdirs

    for name in ("TERMCHAT_DATA_DIR", "TERMCHAT_CONFIG", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "ANDROID_ROOT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", home)
    if xdg is not None:
        monkeypatch.setenv("XDG_DATA_HOME", f"{xdg}/data")
        monkeypatch.setenv("XDG_CONFIG_HOME", f"{xdg}/config")
    assert paths.data_dir_name() == platformdirs.user_data_dir("termchat", appauthor=False)
    assert str(paths.data_dir()) == platformdirs.user_data_dir("termchat", appauthor=False)
    assert paths.config_path() == Path(platformdirs.user_config_dir("termchat", appauthor=False)) / "config.toml"
