"""Nearest neighbours inside PostgreSQL with pgvector's HNSW index, where the server has it.

pgvector is optional: migrations never mention it. When ``CREATE EXTENSION
vector`` works, a table of ``vector`` columns is kept level with
PaperEmbedding (the portable copy) and searched with ``<=>``; otherwise the
in-process index reads the same PaperEmbedding rows.

The table holds one embedder's vectors: its column has that embedder's dimension
and the table's comment its name. Made for another embedder, the table is made
again, empty, and refilled from that embedder's PaperEmbedding rows as they come.
"""

import logging
import time
from collections.abc import Iterable

import numpy as np
from django.db import DatabaseError, connection, transaction
from pgvector.psycopg import register_vector

from .keyword_postgres import DELETE_ORPHANS
from .models import PaperEmbedding

logger = logging.getLogger(__name__)

TABLE = "search_vector"
REFRESH_EVERY = 5.0  # seconds between looks for new embeddings
# Any number, the same in every process: gunicorn's workers start together.
SETUP_LOCK = 0x5EA4C4


def enable_pgvector() -> bool:
    """True when the vector extension is (or could now be) installed in this database."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'")
        if cursor.fetchone():
            return True
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
        if not cursor.fetchone():
            return False
    try:
        # A savepoint: "permission denied" must not break the surrounding transaction.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except DatabaseError:
        return False
    return True


class PgVectorIndex:
    description = "pgvector HNSW index in PostgreSQL"

    def __init__(self, model: str, dim: int):
        self.model, self.dim = model, dim
        self._checked_at = 0.0
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SETUP_LOCK])
            held = self._held(cursor)
            # A table made before tables were named for their embedder (no comment) has
            # only ever had the configured model's vectors copied into it: kept.
            if held is not None and (held[0] not in (None, model) or held[1] != dim):
                logger.warning(
                    "%s held the vectors of %s (%d dimensions): made again, empty, for %s (%d)",
                    TABLE,
                    *held,
                    model,
                    dim,
                )
                cursor.execute(f"DROP TABLE {TABLE}")
                held = None
            cursor.execute(f"""
                CREATE TABLE IF NOT EXISTS {TABLE} (
                    paper_id varchar(40) PRIMARY KEY,
                    updated_at timestamptz NOT NULL,
                    embedding vector({dim}) NOT NULL)""")
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {TABLE}_hnsw ON {TABLE} "
                "USING hnsw (embedding vector_cosine_ops)"
            )
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_updated ON {TABLE} (updated_at)")
            if held is None or held[0] is None:
                cursor.execute(f"COMMENT ON TABLE {TABLE} IS %s", [model])

    @staticmethod
    def _held(cursor) -> tuple[str | None, int] | None:
        """The table's embedder name (its comment) and dimension; None without a table."""
        cursor.execute(
            "SELECT obj_description(c.oid, 'pg_class'), a.atttypmod FROM pg_class c"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'embedding'"
            " WHERE c.oid = to_regclass(%s)",
            [TABLE],
        )
        return cursor.fetchone()

    def _cursor(self):
        connection.ensure_connection()
        register_vector(connection.connection)
        return connection.cursor()

    def refresh(self, force: bool = False) -> None:
        """Copy embeddings added or changed since the last copy into the vector table."""
        if not force and time.monotonic() - self._checked_at < REFRESH_EVERY:
            return
        self._checked_at = time.monotonic()
        with self._cursor() as cursor:
            cursor.execute(f"SELECT max(updated_at) FROM {TABLE}")
            since = cursor.fetchone()[0]
            rows = PaperEmbedding.objects.filter(model=self.model)
            if since is not None:
                rows = rows.filter(updated_at__gte=since)
            # Read first: a cursor still streaming rows would block the writes below.
            fresh = list(rows.values_list("paper_id", "updated_at", "vector"))
            for start in range(0, len(fresh), 1000):
                cursor.executemany(
                    f"INSERT INTO {TABLE} (paper_id, updated_at, embedding) VALUES (%s, %s, %s)"
                    " ON CONFLICT (paper_id) DO UPDATE SET updated_at = excluded.updated_at,"
                    " embedding = excluded.embedding",
                    [
                        (pid, at, np.frombuffer(vector, dtype="<f4"))
                        for pid, at, vector in fresh[start : start + 1000]
                    ],
                )
            if force:
                cursor.execute(DELETE_ORPHANS.format(table=TABLE))

    def is_empty(self) -> bool:
        self.refresh()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {TABLE})")
            return cursor.fetchone()[0]

    def embedded(self, paper_ids: Iterable[str]) -> set[str]:
        """Those of ``paper_ids`` the index holds."""
        self.refresh()
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT paper_id FROM {TABLE} WHERE paper_id = ANY(%s)", [list(paper_ids)]
            )
            return {paper_id for (paper_id,) in cursor.fetchall()}

    def vector_of(self, paper_id: str) -> np.ndarray | None:
        embedding = PaperEmbedding.objects.filter(paper_id=paper_id, model=self.model).first()
        return None if embedding is None else embedding.as_array()

    def search(self, vector: np.ndarray, limit: int) -> list[tuple[str, float]]:
        self.refresh()
        with self._cursor() as cursor:
            # ef_search bounds how many candidates HNSW keeps; it must cover the limit.
            cursor.execute(f"SET hnsw.ef_search = {max(100, min(limit, 1000))}")
            cursor.execute(
                f"SELECT paper_id, 1 - (embedding <=> %s) FROM {TABLE} "
                "ORDER BY embedding <=> %s LIMIT %s",
                [vector, vector, limit],
            )
            return [(pid, float(similarity)) for pid, similarity in cursor.fetchall()]
