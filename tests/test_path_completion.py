"""Path completion for the attach dialog and `@path` in the prompt."""

from __future__ import annotations

from termchat.path_completion import complete, completions


def test_completions_list_matches_with_directories_marked(tmp_path):
    (tmp_path / "notes.md").write_text("x")
    (tmp_path / "notebook.txt").write_text("x")
    (tmp_path / "nested").mkdir()
    (tmp_path / ".hidden").write_text("x")
    cwd = str(tmp_path)
    assert completions("no", cwd) == ["notebook.txt", "notes.md"]
    assert completions("n", cwd) == ["nested/", "notebook.txt", "notes.md"]
    assert completions("", cwd) == ["nested/", "notebook.txt", "notes.md"]  # hidden only when asked
    assert completions(".h", cwd) == [".hidden"]
    assert completions("zzz", cwd) == [] and completions("missing/dir/x", cwd) == []


def test_complete_extends_as_far_as_the_candidates_agree(tmp_path):
    (tmp_path / "notes.md").write_text("x")
    (tmp_path / "notebook.txt").write_text("x")
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "report.pdf").write_text("x")
    cwd = str(tmp_path)
    assert complete("n", cwd) == "note"
    assert complete("notes", cwd) == "notes.md"
    assert complete("de", cwd) == "deep/"
    assert complete("deep/r", cwd) == "deep/report.pdf"
    assert complete("q", cwd) == "q"


def test_absolute_and_home_paths(tmp_path, monkeypatch):
    (tmp_path / "file.txt").write_text("x")
    assert completions(str(tmp_path / "fi")) == [str(tmp_path / "file.txt")]
    monkeypatch.setenv("HOME", str(tmp_path))
    assert completions("~/fi") == ["~/file.txt"]
