"""deploy/: the environment file names every setting, the systemd units run real commands."""

import ast
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, get_commands, load_command_class

import dailypapers.settings

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("dailypapers-*.*"))
# Where the units expect the install (docs/deploy.md).
INSTALL_DIR = "/srv/dailypapers"


def settings_variables() -> set[str]:
    """Every environment variable settings.py reads.

    ``os.environ.get("X")``, ``os.environ["X"]``, ``os.getenv("X")``, the
    ``env_*("X", …)`` helpers, and DATABASE_URL through ``dj_database_url.config()``.
    """
    tree = ast.parse(Path(dailypapers.settings.__file__).read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            key = node.slice
        elif isinstance(node, ast.Call):
            function = ast.unparse(node.func)
            if function == "dj_database_url.config":
                names.add("DATABASE_URL")
                continue
            reads_environment = function in {"os.environ.get", "os.getenv"} or (
                isinstance(node.func, ast.Name) and node.func.id.startswith("env_")
            )
            if not reads_environment or not node.args:
                continue
            key = node.args[0]
        else:
            continue
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


def readme_configuration_variables() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n#", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1])}


def environment_file_variables() -> set[str]:
    text = (DEPLOY / "dailypapers.env").read_text()
    return set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def test_the_environment_file_names_every_setting_that_settings_py_reads():
    read = settings_variables()
    assert {"DATABASE_URL", "SECRET_KEY", "DAILYPAPERS_DATA_DIR", "EMAIL_USE_TLS"} <= read
    assert sorted(read - environment_file_variables()) == []


def test_the_environment_file_names_every_setting_in_the_readme_table():
    documented = readme_configuration_variables()
    assert {"DATABASE_URL", "DAILYPAPERS_BASE_URL", "EMAIL_PORT"} <= documented
    assert sorted(documented - environment_file_variables()) == []


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
    assert {arguments[0] for _, arguments in commands} == {"serve", "index", "digest", "backup"}
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
