"""The ``dailypapers`` command: Django's management commands under one stable name.

``dailypapers serve``, ``migrate``, ``import``, ``harvest``, ``add`` and the
commands later apps add are ordinary management commands, so ``--help`` works
for each and operators can script them.
"""

import os
import shutil
import sys
from pathlib import Path

# Commands that manage the tables themselves (serve and restore migrate), or need none.
SCHEMA_COMMANDS = frozenset(
    {
        "migrate",
        "makemigrations",
        "sqlmigrate",
        "showmigrations",
        "squashmigrations",
        "serve",
        "restore",
        "help",
        "version",
        "check",
    }
)


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    from django.core.management import execute_from_command_line

    arguments = sys.argv[1:] if argv is None else argv
    if _uses_the_tables(arguments):
        create_tables_if_new()
    execute_from_command_line(["dailypapers", *arguments])


def _uses_the_tables(arguments: list[str]) -> bool:
    if not arguments or arguments[0].startswith("-") or arguments[0] in SCHEMA_COMMANDS:
        return False
    return not {"-h", "--help"} & set(arguments)


def create_tables_if_new() -> None:
    """A first command on a new database (``import`` before the first ``serve``) creates
    its tables rather than failing on the first query."""
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    if "django_migrations" in connection.introspection.table_names():
        return
    print(f"A new database: creating its tables ({command_hint('migrate')}).", file=sys.stderr)
    call_command("migrate", interactive=False, verbosity=0)


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
