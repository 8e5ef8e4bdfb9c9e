"""Config files that are not what they seem, and a theme change that keeps the user's file (issue 15)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from termchat.config import load_config, save_config
from termchat.errors import ConfigError


@pytest.mark.parametrize("kind", ["/dev/zero", "fifo", "huge"])
def test_a_config_that_is_not_a_small_regular_file_is_refused(run, tmp_path, monkeypatch, kind):
    if kind == "fifo":
        path = tmp_path / "config.fifo"
        os.mkfifo(path)  # nobody ever writes to it: a blocking read would wait forever
    elif kind == "huge":
        path = tmp_path / "big.toml"
        path.write_text("# padding\n" * 200_000)
    else:
        path = Path(kind)
    monkeypatch.setenv("TERMCHAT_CONFIG", str(path))
    result = run("--state", "local", "-p", "hi")
    assert result.code == 2
    line = result.one_error_line()
    assert str(path) in line
    assert ("not a regular file" in line) if kind != "huge" else ("larger than" in line), line


COMMENTED = """\
# my termchat settings, kept in my dotfiles
model = "gpt-5-mini"   # the cheap one
theme = "termchat-dark"  # dark at night

[keymap]
# a key I like
compact = "ctrl+k"
"""


def test_choosing_a_theme_keeps_a_symlinked_config_a_symlink_with_its_comments(tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "termchat.toml"
    real.write_text(COMMENTED)
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    save_config(link, {"theme": "termchat-light"})
    assert link.is_symlink() and link.resolve() == real
    assert real.read_text() == COMMENTED.replace(
        'theme = "termchat-dark"  # dark at night', 'theme = "termchat-light"  # dark at night'
    )
    assert load_config(link, env={}).theme == "termchat-light"
    assert [p.name for p in dotfiles.iterdir()] == ["termchat.toml"]  # no temp file left


def test_a_theme_line_is_added_before_the_first_table(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(COMMENTED.replace('theme = "termchat-dark"  # dark at night\n', ""))
    save_config(path, {"theme": "termchat-light"})
    text = path.read_text()
    assert text.index('theme = "termchat-light"') < text.index("[keymap]")
    assert "# a key I like" in text and "# the cheap one" in text


def test_a_change_that_would_drop_comments_is_refused_and_says_so(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(COMMENTED)
    with pytest.raises(ConfigError, match="lose its comments"):
        save_config(path, {"keymap": {"send": "ctrl+j"}})
    assert path.read_text() == COMMENTED


def test_a_theme_in_the_themes_dir_that_is_a_fifo_does_not_hang_the_app(tmp_path):
    from termchat.tui.themes import theme_from_toml

    fifo = tmp_path / "evil.toml"
    os.mkfifo(fifo)
    done = threading.Event()
    errors = []

    def load() -> None:
        try:
            theme_from_toml(fifo)
        except ValueError as exc:
            errors.append(str(exc))
        done.set()

    threading.Thread(target=load, daemon=True).start()
    finished = done.wait(30)
    if not finished:  # let the stuck reader go: open the other end
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert finished, "reading a FIFO theme blocked"
    assert "not a regular file" in errors[0]
