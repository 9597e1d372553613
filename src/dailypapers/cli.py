"""The ``dailypapers`` command: Django's management commands under one stable name.

``dailypapers serve``, ``migrate``, ``import``, ``harvest``, ``add`` and the
commands later apps add are ordinary management commands, so ``--help`` works
for each and operators can script them.
"""

import os
import shutil
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["dailypapers", *(sys.argv[1:] if argv is None else argv)])


def command_hint(arguments: str = "") -> str:
    """``arguments`` as a command the operator can paste into the shell they started us from.

    After ``make run`` the script is ``.venv/bin/dailypapers``, not on PATH: hints
    that say ``dailypapers …`` would fail there.
    """
    script = Path(sys.prefix) / "bin" / "dailypapers"
    on_path = shutil.which("dailypapers")
    if on_path and Path(on_path).resolve() == script.resolve():
        name = "dailypapers"
    else:
        relative = os.path.relpath(script)
        name = relative if not relative.startswith("..") else str(script)
    return f"{name} {arguments}".rstrip()
