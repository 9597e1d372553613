"""Which environment variables the code reads, and which the README's table and
deploy/dailypapers.env document: read by test_settings_documented and test_deploy."""

import ast
import re
from pathlib import Path

import dailypapers

PACKAGE = Path(dailypapers.__file__).parent
REPOSITORY = PACKAGE.parents[1]
# Helpers of settings.py that take the variable's name as their first argument.
READERS = {"env_bool", "env_list", "env_networks", "env_rate"}
# Read by a library rather than by our code.
READ_BY_LIBRARIES = {"DATABASE_URL"}  # dj-database-url
# Knobs of the test suite, documented with it (docs/reliability.md), not settings of the site.
TEST_TOOLING = {"conftest.py", "reliability_campaign.py"}


def _name_read(node: ast.AST) -> ast.AST | None:
    """The argument naming the variable, when ``node`` reads one from the environment."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        return node.slice if ast.unparse(node.value) == "os.environ" else None
    if isinstance(node, ast.Call) and node.args:
        function = ast.unparse(node.func)
        return node.args[0] if function in READERS or function == "os.environ.get" else None
    return None


def variables_read_by_the_code() -> set[str]:
    found = set(READ_BY_LIBRARIES)
    for module in PACKAGE.rglob("*.py"):
        if "tests" in module.parts or module.name in TEST_TOOLING:
            continue
        for node in ast.walk(ast.parse(module.read_text(), str(module))):
            argument = _name_read(node)
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.add(argument.value)
    return found


def variables_in_readme_table() -> set[str]:
    readme = (REPOSITORY / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    first_cells = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    return {name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}


def variables_in_deploy_env() -> set[str]:
    text = (REPOSITORY / "deploy" / "dailypapers.env").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))
