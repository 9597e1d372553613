"""The ``dailypapers`` command: Django's management commands under one stable name.

``dailypapers serve``, ``migrate``, ``import``, ``harvest``, ``add`` and the
commands later apps add are ordinary management commands, so ``--help`` works
for each and operators can script them.
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dailypapers.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["dailypapers", *(sys.argv[1:] if argv is None else argv)])
