"""The import graph follows the layers that docs/architecture.md lists: a package or a
top-level module imports only from layers below its own, never from a sibling or from
above, so no two apps import each other. Imports inside functions count too: they would
hide a loop, not remove it.
"""

import ast
import re
from pathlib import Path

import pytest

import dailypapers

PACKAGE = Path(dailypapers.__file__).parent
ARCHITECTURE = PACKAGE.parents[1] / "docs" / "architecture.md"


def documented_layers() -> dict[str, int]:
    """Each unit's layer number, from the numbered list under "## Layers"."""
    text = ARCHITECTURE.read_text()
    section = text.split("\n## Layers\n", 1)[1].split("\n## ", 1)[0]
    layers, number = {}, None
    for line in section.splitlines():
        if numbered := re.match(r"(\d+)\. ", line):
            number = int(numbered.group(1))
        elif not line.startswith("   "):
            number = None  # the item, and its indented continuation lines, ended
        if number is not None:
            for unit in re.findall(r"`([\w.]+)`", line):
                layers[unit] = number
    return layers


def unit_of(module: Path) -> str:
    """The app (a folder under dailypapers/) or top-level module that ``module`` belongs to."""
    first = module.relative_to(PACKAGE).parts[0]
    return first.removesuffix(".py")


def production_modules() -> list[Path]:
    return [
        module
        for module in sorted(PACKAGE.rglob("*.py"))
        if "tests" not in module.parts
        and module.name != "conftest.py"
        and module != PACKAGE / "__init__.py"  # the package itself, which imports nothing
    ]


def imported_units(source: str, unit: str, top_level: bool = False) -> set[str]:
    """The other units a module of ``unit`` imports from, wherever the statement stands.

    ``top_level``: the module sits directly in dailypapers/, where ``from .mail import …``
    names another unit (elsewhere a relative import stays inside its own app).
    """
    units = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level:
            if node.level == 1 and top_level and node.module:
                units.add(node.module.split(".")[0])
            continue
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "dailypapers" and len(parts) > 1:
                units.add(parts[1])
    known = {unit_of(m) for m in production_modules()}
    return {found for found in units if found in known} - {unit}


def imports_of(module: Path) -> set[str]:
    return imported_units(module.read_text(), unit_of(module), module.parent == PACKAGE)


def test_every_app_and_top_level_module_has_a_documented_layer():
    undocumented = sorted({unit_of(m) for m in production_modules()} - set(documented_layers()))
    assert not undocumented, f"add these to the layers in docs/architecture.md: {undocumented}"


def test_imports_point_only_to_lower_layers():
    layers = documented_layers()
    upward = [
        f"{module.relative_to(PACKAGE)} ({unit_of(module)}, layer {layers[unit_of(module)]})"
        f" imports {unit} (layer {layers[unit]})"
        for module in production_modules()
        for unit in sorted(imports_of(module))
        if unit_of(module) in layers and unit in layers
        if layers[unit] >= layers[unit_of(module)]
    ]
    assert not upward, "imports against the layering:\n" + "\n".join(upward)


@pytest.mark.parametrize(
    "source, unit",
    [
        ("from dailypapers.search.service import search", "search"),
        ("from dailypapers import mail", "mail"),
        ("def later():\n    import dailypapers.ingest.models", "ingest"),
    ],
)
def test_the_scan_sees_each_way_of_importing(source, unit):
    assert imported_units(source, "web") == {unit}
