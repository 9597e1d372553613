"""deploy/: the environment file names every setting, the systemd units run real commands."""

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, get_commands, load_command_class

from .documented_settings import (
    variables_in_deploy_env,
    variables_in_readme_table,
    variables_read_by_the_code,
)

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("dailypapers-*.*"))
# Where the units expect the install (docs/deploy.md).
INSTALL_DIR = "/srv/dailypapers"


def test_the_environment_file_names_every_setting_the_code_reads():
    missing = sorted(variables_read_by_the_code() - variables_in_deploy_env())
    assert not missing, f"add these to deploy/dailypapers.env: {missing}"


def test_the_environment_file_names_every_setting_in_the_readme_table():
    missing = sorted(variables_in_readme_table() - variables_in_deploy_env())
    assert not missing, f"add these to deploy/dailypapers.env: {missing}"


def dailypapers_commands() -> list[tuple[Path, list[str]]]:
    """(unit, arguments) of each ExecStart that runs dailypapers."""
    found = []
    for unit in UNITS:
        for line in unit.read_text().splitlines():
            if line.startswith("ExecStart="):
                program, *arguments = shlex.split(line.removeprefix("ExecStart="))
                if program == f"{INSTALL_DIR}/.venv/bin/dailypapers":
                    found.append((unit, arguments))
    return found


def test_units_run_commands_and_flags_that_exist():
    commands = dailypapers_commands()
    assert {arguments[0] for _, arguments in commands} == {"serve", "worker", "digest", "backup"}
    for unit, (name, *arguments) in commands:
        command = load_command_class(get_commands()[name], name)
        try:
            command.create_parser("dailypapers", name).parse_args(arguments)
        except CommandError as error:  # an unknown flag, a missing argument
            pytest.fail(f"{unit.name}: dailypapers {name}: {error}")


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the units were not checked by systemd")
    # As installed, with the executable at this virtualenv's path.
    for unit in UNITS:
        (tmp_path / unit.name).write_text(
            unit.read_text().replace(f"{INSTALL_DIR}/.venv", sys.prefix)
        )
    verified = subprocess.run(
        [analyze, "verify", *sorted(str(path) for path in tmp_path.iterdir())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr == ""  # unknown keys are only warned about
