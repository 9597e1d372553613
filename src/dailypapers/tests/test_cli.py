import sys
from pathlib import Path

from dailypapers.cli import command_hint


def test_hint_names_the_venv_script_when_dailypapers_is_not_on_path(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(Path(sys.prefix).parent)
    venv = Path(sys.prefix).name
    assert command_hint("import PATH") == f"{venv}/bin/dailypapers import PATH"


def test_hint_says_dailypapers_when_it_is_on_path(monkeypatch):
    monkeypatch.setenv("PATH", str(Path(sys.prefix) / "bin"))
    assert command_hint("add 2403.01779") == "dailypapers add 2403.01779"
    assert command_hint() == "dailypapers"
