"""Snapshots of a running site (``dailypapers backup``) and putting one back (``restore``).

A snapshot is one tar file: ``manifest.json`` first (what it holds, of which
database, as of when), then the generated secret key if the site uses one,
then the database — a copy made with SQLite's online backup API, or
``pg_dump``'s custom format. Both see the database as it was at one moment
while the site goes on writing, so every write committed before the backup
started is in the snapshot and no write is in it by halves.

The search index is left out: it is derived from the database (the
embeddings are in the database), and ``dailypapers index`` rebuilds it.
"""

import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import IO

from django.conf import settings
from django.db import connection
from django.db.backends.postgresql.client import DatabaseClient
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PGDUMP_MEMBER = "database.pgdump"
SECRET_KEY_MEMBER = "secret_key"
# Where settings._secret_key() keeps the key it generates when SECRET_KEY is unset.
SECRET_KEY_FILE = "secret_key"
# 256 pages of 4 kB: fine-grained progress, and a step costs next to nothing.
PAGES_PER_STEP = 256
KINDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
CHUNK = 1 << 20


class SnapshotError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class Manifest:
    database: str  # "sqlite" or "postgresql"
    # Every write committed before this moment (UTC) is in the snapshot.
    taken_at: str
    # (app, name) of the applied migrations, to refuse a snapshot newer than the code.
    migrations: list[tuple[str, str]]
    secret_key: bool
    # PostgreSQL: bytes of each table and index ("schema.name"): the tables a
    # restore keeps, and how far pg_dump and pg_restore have come.
    tables: dict[str, int] = field(default_factory=dict)
    indexes: dict[str, int] = field(default_factory=dict)
    pg_dump_major: int | None = None
    server_major: int | None = None
    dailypapers: str = field(default_factory=lambda: version("dailypapers"))
    format: int = FORMAT

    def taken(self) -> str:
        return f"{datetime.fromisoformat(self.taken_at):%Y-%m-%d %H:%M:%S} UTC"


@dataclass
class Snapshot:
    path: Path
    manifest: Manifest
    size: int


def database_kind() -> str:
    """The kind of database the settings name, without connecting to it."""
    if connection.vendor not in KINDS:
        raise SnapshotError(
            f"backup and restore support SQLite and PostgreSQL, not {connection.vendor}"
        )
    return connection.vendor


def progress_bar(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# Taking a snapshot


def snapshot_path(path: Path) -> Path:
    """PATH itself, or a file named after the time inside PATH when it is a directory."""
    if path.is_dir():
        return path / f"dailypapers-{_now():%Y%m%d-%H%M%S}.tar"
    return path


def take(path: Path, console: Console, *, force: bool = False) -> Snapshot:
    """Write a snapshot of the live database (and generated secret key) to ``path``.

    The file appears only when it is complete: it is written beside ``path``
    under a temporary name, then renamed.
    """
    kind = database_kind()
    destination = snapshot_path(path)
    if destination.exists() and not force:
        raise SnapshotError(f"{destination} exists: pass --force to replace it")
    if not destination.parent.is_dir():
        raise SnapshotError(f"{destination.parent} is not a directory")
    with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".dailypapers-backup-") as work:
        work = Path(work)
        if kind == "sqlite":
            database = work / SQLITE_MEMBER
            manifest = _copy_sqlite(Path(connection.settings_dict["NAME"]), database, console)
        else:
            database = work / PGDUMP_MEMBER
            manifest = _dump_postgresql(database, console)
        members = {}
        if manifest.secret_key:
            members[SECRET_KEY_MEMBER] = settings.DATA_DIR / SECRET_KEY_FILE
        members[database.name] = database
        archive = work / "snapshot.tar"
        _write_archive(archive, manifest, members, console, gzip=destination.suffix == ".gz")
        os.replace(archive, destination)
    return Snapshot(destination, manifest, destination.stat().st_size)


def uses_generated_secret_key() -> bool:
    return not os.environ.get("SECRET_KEY") and (settings.DATA_DIR / SECRET_KEY_FILE).is_file()


def copy_sqlite(
    live: Path, copy: Path, on_step: Callable[[int, int], None] = lambda remaining, total: None
) -> datetime:
    """Copy the live SQLite database to ``copy`` while others write to it.

    The copy runs in steps (``on_step(remaining pages, total pages)`` after
    each) inside one read transaction on the live file: every step reads the
    same state of the database, the one when the transaction began, which is
    returned. WAL lets writers go on meanwhile, and since the state read never
    changes, SQLite never has to start the copy over.
    """
    if not live.is_file():
        raise SnapshotError(f"no database at {live}: nothing to back up")
    try:
        with (
            closing(sqlite3.connect(live, timeout=30, isolation_level=None)) as source,
            closing(sqlite3.connect(copy, isolation_level=None)) as target,
        ):
            source.execute("BEGIN")
            source.execute("SELECT COUNT(*) FROM sqlite_master")  # the read starts here
            taken_at = _now()
            source.backup(
                target,
                pages=PAGES_PER_STEP,
                progress=lambda status, remaining, total: on_step(remaining, total),
            )
            source.execute("ROLLBACK")
            # One self-contained file, with no -wal beside it.
            target.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as error:
        raise SnapshotError(f"could not copy {live}: {error}") from None
    return taken_at


def _copy_sqlite(live: Path, copy: Path, console: Console) -> Manifest:
    with progress_bar(console) as progress:
        task = progress.add_task("Copying the SQLite database", total=None)
        page_size = _sqlite_page_size(live)

        def step(remaining: int, total: int) -> None:
            progress.update(
                task, total=total * page_size, completed=(total - remaining) * page_size
            )

        taken_at = copy_sqlite(live, copy, step)
    with closing(sqlite3.connect(copy)) as db:
        migrations = db.execute("SELECT app, name FROM django_migrations").fetchall()
    return Manifest(
        database="sqlite",
        taken_at=taken_at.isoformat(),
        migrations=sorted(migrations),
        secret_key=uses_generated_secret_key(),
    )


def _sqlite_page_size(path: Path) -> int:
    with closing(sqlite3.connect(path, timeout=30)) as db:
        return db.execute("PRAGMA page_size").fetchone()[0]


def _dump_postgresql(dump: Path, console: Console) -> Manifest:
    pg_dump = _client("pg_dump")
    connection.ensure_connection()
    server_major = connection.pg_version // 10000
    dump_major = client_major(pg_dump)
    if dump_major < server_major:
        raise SnapshotError(
            f"{pg_dump} is from PostgreSQL {dump_major} and the server runs PostgreSQL "
            f"{server_major}: pg_dump only dumps servers of its own version or older. "
            f"Install PostgreSQL {server_major}'s client (Debian: apt-get install "
            f"postgresql-client-{server_major}) and try again."
        )
    tables, indexes = _relation_sizes()
    migrations = sorted(MigrationRecorder(connection).applied_migrations())
    connection.close()
    taken_at = _now()
    _run_client(
        [pg_dump, "--format=custom", "--verbose", "--no-password", f"--file={dump}"],
        console,
        "Dumping the PostgreSQL database",
        tables,
        pattern=r'dumping contents of table "([^"]+)"',
    )
    return Manifest(
        database="postgresql",
        taken_at=taken_at.isoformat(),
        migrations=migrations,
        secret_key=uses_generated_secret_key(),
        tables=tables,
        indexes=indexes,
        pg_dump_major=dump_major,
        server_major=server_major,
    )


def _relation_sizes() -> tuple[dict[str, int], dict[str, int]]:
    """Bytes of each table and of each index, by "schema.name"."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT n.nspname || '.' || c.relname, c.relkind = 'i', pg_table_size(c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'i')
              AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg_toast%'""")
        rows = cursor.fetchall()
    tables = {name: size for name, is_index, size in rows if not is_index}
    indexes = {name: size for name, is_index, size in rows if is_index}
    return tables, indexes


def _client(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise SnapshotError(
            f"{name} is not installed: it comes with PostgreSQL's client tools "
            "(Debian: apt-get install postgresql-client-<server version>)."
        )
    return found


def client_major(program: str) -> int:
    answer = subprocess.run([program, "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"\(PostgreSQL\) (\d+)", answer.stdout)
    if not found:
        raise SnapshotError(f"could not tell the version of {program}: {answer.stdout.strip()!r}")
    return int(found.group(1))


def _libpq_environment() -> dict[str, str]:
    """The connection DATABASE_URL describes, as libpq's environment variables."""
    params = connection.settings_dict
    _, extra = DatabaseClient.settings_to_cmd_args_env(params, [])
    named = {
        "PGHOST": params.get("HOST"),
        "PGPORT": params.get("PORT"),
        "PGUSER": params.get("USER"),
        "PGDATABASE": params.get("NAME"),
    }
    return {
        **os.environ,
        **{name: str(value) for name, value in named.items() if value},
        **(extra or {}),
    }


def _run_client(
    command: list[str],
    console: Console,
    description: str,
    sizes: dict[str, int],
    pattern: str,
) -> None:
    """Run pg_dump or pg_restore, the progress bar following the relations it says it is on.

    ``pattern`` finds the relation in a line of its --verbose output: "schema.name",
    or "schema.table constraint" for a constraint, whose index is "schema.constraint".
    """
    said = []
    with progress_bar(console) as progress:
        task = progress.add_task(description, total=sum(sizes.values()) or None)
        client = subprocess.Popen(
            command, env=_libpq_environment(), stderr=subprocess.PIPE, text=True
        )
        try:
            previous = 0
            for line in client.stderr:
                said.append(line.rstrip())
                if found := re.search(pattern, line):
                    # Each line starts a relation: the one before it is done.
                    progress.advance(task, previous)
                    schema, _, name = found.group(1).partition(".")
                    previous = sizes.get(f"{schema}.{name.rpartition(' ')[2]}", 0)
            client.wait()
        except BaseException:
            client.terminate()
            client.wait()
            raise
        if client.returncode == 0:
            progress.update(task, completed=sum(sizes.values()))
    if client.returncode != 0:
        errors = [line for line in said if "error" in line.lower()] or said[-10:]
        raise SnapshotError(
            f"{Path(command[0]).name} failed (exit status {client.returncode}):\n"
            + "\n".join(errors[-10:])
        )


def _write_archive(
    archive: Path, manifest: Manifest, members: dict[str, Path], console: Console, gzip: bool
) -> None:
    # Password hashes and the secret key are inside: for the owner's eyes only.
    descriptor = os.open(archive, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(descriptor, "wb") as file, progress_bar(console) as progress:
        task = progress.add_task(
            "Writing the snapshot", total=sum(path.stat().st_size for path in members.values())
        )
        # gzip -6, its default: -9 took twice as long for 0.1 % less (500 MB catalog).
        options = {"mode": "w:gz", "compresslevel": 6} if gzip else {"mode": "w"}
        with tarfile.open(fileobj=file, **options) as tar:
            text = json.dumps(asdict(manifest), indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(text), int(_now().timestamp()), 0o600
            tar.addfile(info, io.BytesIO(text))
            for name, path in members.items():
                info = tar.gettarinfo(path, arcname=name)
                with open(path, "rb") as member:
                    tar.addfile(info, _Counted(member, lambda n: progress.advance(task, n)))
        file.flush()
        os.fsync(file.fileno())


class _Counted:
    """A file being read, telling ``on_read`` how many bytes each read returned."""

    def __init__(self, file: IO[bytes], on_read: Callable[[int], None]):
        self.file, self.on_read = file, on_read

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.on_read(len(data))
        return data


# Putting a snapshot back


def read_manifest(path: Path) -> Manifest:
    """The manifest at the head of the snapshot at ``path``, or a clear refusal."""
    if not path.is_file():
        raise SnapshotError(f"{path}: no such file")
    try:
        with tarfile.open(path, "r:*") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST:
                raise SnapshotError(f"{path} is not a dailypapers snapshot (no {MANIFEST})")
            text = tar.extractfile(first).read()
    except (tarfile.TarError, OSError, EOFError):
        raise SnapshotError(f"{path} is not a dailypapers snapshot (not a tar file)") from None
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise SnapshotError(
                f"{path} is a snapshot in format {data.get('format')}; this version of "
                f"dailypapers reads format {FORMAT}"
            )
        data["migrations"] = [tuple(pair) for pair in data["migrations"]]
        return Manifest(**data)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise SnapshotError(f"{path}: its {MANIFEST} is damaged ({error})") from None


def check_restorable(path: Path, manifest: Manifest) -> None:
    """Refuse a snapshot of another kind of database, or one newer than this code."""
    kind = database_kind()
    if manifest.database != kind:
        setting = (
            "DATABASE_URL is unset"
            if manifest.database == "sqlite"
            else "DATABASE_URL names a PostgreSQL database"
        )
        raise SnapshotError(
            f"{path} is a snapshot of a {KINDS[manifest.database]} database, and this site "
            f"uses {KINDS[kind]}: a snapshot goes back into the kind of database it was "
            f"taken from (restore it where {setting})."
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = sorted(set(manifest.migrations) - known)
    if unknown:
        names = ", ".join(f"{app}.{name}" for app, name in unknown[:5])
        raise SnapshotError(
            f"{path} was taken by a newer dailypapers ({manifest.dailypapers}): its database "
            f"has migrations this version does not know ({names}). Upgrade first, then restore."
        )


def restore(path: Path, manifest: Manifest, console: Console) -> bool:
    """Replace the database with the snapshot's, then put its secret key back.

    Returns whether the secret key was put back: not when the snapshot has
    none, nor when SECRET_KEY in the environment would take precedence anyway.
    """
    with tempfile.TemporaryDirectory(dir=settings.DATA_DIR, prefix=".restore-") as work:
        work = Path(work)
        extracted = _extract(path, work, console)
        connection.close()
        if manifest.database == "sqlite":
            _restore_sqlite(
                extracted[SQLITE_MEMBER], Path(connection.settings_dict["NAME"]), console
            )
        else:
            _restore_postgresql(extracted[PGDUMP_MEMBER], manifest, console)
        if SECRET_KEY_MEMBER in extracted and not os.environ.get("SECRET_KEY"):
            os.replace(extracted[SECRET_KEY_MEMBER], settings.DATA_DIR / SECRET_KEY_FILE)
            return True
    return False


def _extract(path: Path, work: Path, console: Console) -> dict[str, Path]:
    extracted = {}
    with tarfile.open(path, "r:*") as tar, progress_bar(console) as progress:
        members = [member for member in tar if member.isfile() and member.name != MANIFEST]
        task = progress.add_task(
            "Reading the snapshot", total=sum(member.size for member in members)
        )
        for member in members:
            if member.name not in {SQLITE_MEMBER, PGDUMP_MEMBER, SECRET_KEY_MEMBER}:
                continue  # only names this module writes: never a path from the archive
            target = work / member.name
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with tar.extractfile(member) as source, open(descriptor, "wb") as out:
                while chunk := source.read(CHUNK):
                    out.write(chunk)
                    progress.advance(task, len(chunk))
            extracted[member.name] = target
    return extracted


def _restore_sqlite(copy: Path, live: Path, console: Console) -> None:
    with closing(sqlite3.connect(copy)) as db:
        verdict = db.execute("PRAGMA quick_check").fetchone()[0]
    if verdict != "ok":
        raise SnapshotError(f"the snapshot's database is damaged: {verdict}")
    live.parent.mkdir(parents=True, exist_ok=True)
    page_size = _sqlite_page_size(copy)
    try:
        with (
            progress_bar(console) as progress,
            closing(sqlite3.connect(copy, isolation_level=None)) as source,
            closing(sqlite3.connect(live, timeout=30, isolation_level=None)) as target,
        ):
            task = progress.add_task("Restoring the SQLite database", total=None)
            # The live file is written in one transaction, held from the first step
            # to the last: an interrupted restore leaves the database as it was.
            source.backup(
                target,
                pages=PAGES_PER_STEP,
                progress=lambda status, remaining, total: progress.update(
                    task, total=total * page_size, completed=(total - remaining) * page_size
                ),
            )
            target.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as error:
        raise SnapshotError(
            f"could not write {live}: {error} (is the site still running? Stop it first)"
        ) from None


def _restore_postgresql(dump: Path, manifest: Manifest, console: Console) -> None:
    pg_restore = _client("pg_restore")
    restore_major = client_major(pg_restore)
    if restore_major < (manifest.pg_dump_major or 0):
        raise SnapshotError(
            f"{pg_restore} is from PostgreSQL {restore_major} and the snapshot was written by "
            f"pg_dump {manifest.pg_dump_major}: install PostgreSQL {manifest.pg_dump_major}'s "
            f"client (Debian: apt-get install postgresql-client-{manifest.pg_dump_major})."
        )
    entries = _entries_to_restore(pg_restore, dump)
    _drop_tables_not_in(manifest.tables)
    _run_client(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--verbose",
            "--no-password",
            f"--use-list={entries}",
            f"--dbname={connection.settings_dict['NAME']}",
            str(dump),
        ],
        console,
        "Restoring the PostgreSQL database",
        manifest.tables | manifest.indexes,
        pattern=r'(?:processing data for table|creating INDEX|creating CONSTRAINT) "([^"]+)"',
    )


def _entries_to_restore(pg_restore: str, dump: Path) -> Path:
    """The dump's table of contents, less the extensions the database has already.

    Only an extension's owner may drop or create it (pgvector: a superuser),
    and ``--clean`` would drop it: one already there is kept as it is.
    """
    listing = subprocess.run(
        [pg_restore, "--list", str(dump)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise SnapshotError(f"the snapshot's dump is unreadable: {listing.stderr.strip()}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension")
        installed = {name for (name,) in cursor.fetchall()}
    kept = [
        line
        for line in listing.stdout.splitlines()
        if not (
            (found := re.search(r"(?:EXTENSION -|COMMENT - EXTENSION) (\S+)", line))
            and found.group(1) in installed
        )
    ]
    entries = dump.with_suffix(".list")
    entries.write_text("\n".join(kept) + "\n")
    return entries


def _drop_tables_not_in(tables: dict[str, int]) -> None:
    """Drop the tables the snapshot does not have, so the restored database is the snapshot's.

    ``pg_restore --clean`` replaces what the snapshot holds and leaves the rest:
    tables of later migrations, or derived ones the search engine made since.
    Left there, they would break the next ``migrate``.
    """
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT schemaname, tablename FROM pg_tables
            WHERE schemaname NOT IN ('pg_catalog', 'information_schema')""")
        extra = [
            (schema, table)
            for schema, table in cursor.fetchall()
            if f"{schema}.{table}" not in tables
        ]
        for schema, table in extra:
            quote = connection.ops.quote_name
            cursor.execute(f"DROP TABLE IF EXISTS {quote(schema)}.{quote(table)} CASCADE")
    connection.close()


def forget_search_index() -> Path | None:
    """Remove the search index dir, which described the database before the restore.

    Returns the directory removed, or None when there was none. Refuses when
    the directory holds the data dir or the database (a misconfiguration).
    """
    index = settings.SEARCH_INDEX_DIR.resolve()
    if not index.exists():
        return None
    kept = [settings.DATA_DIR.resolve()]
    if connection.vendor == "sqlite":
        kept.append(Path(connection.settings_dict["NAME"]).resolve())
    if any(path == index or index in path.parents for path in kept):
        raise SnapshotError(
            f"the search index dir {index} holds the data dir or the database: not removing "
            "it. Set DAILYPAPERS_INDEX_DIR to a directory of its own."
        )
    shutil.rmtree(index)
    return index
