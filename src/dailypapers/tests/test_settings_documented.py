"""Every setting read from the environment is in the README's Configuration table."""

import ast
import re
from pathlib import Path

import dailypapers.settings

README = Path(__file__).resolve().parents[3] / "README.md"


def environment_variables_read_by_settings() -> set[str]:
    tree = ast.parse(Path(dailypapers.settings.__file__).read_text())
    names = set()
    readers = {"os.environ.get", "env_bool", "env_list", "env_int", "env_float", "env_rate"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) in readers and node.args:
            name = node.args[0]
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            name = node.slice
        else:
            continue
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            names.add(name.value)
    return names


def readme_configuration_section() -> str:
    text = README.read_text()
    start = text.index("## Configuration")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_the_scan_finds_the_settings_it_should():
    assert {"DAILYPAPERS_DATA_DIR", "SECRET_KEY", "DAILYPAPERS_BASE_URL"} <= (
        environment_variables_read_by_settings()
    )


def test_every_environment_setting_is_in_the_readme_configuration_table():
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", readme_configuration_section()))
    missing = sorted(environment_variables_read_by_settings() - documented)
    assert not missing, f"add these to the README's Configuration table: {missing}"
