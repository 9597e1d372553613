"""Which engines serve this deployment: chosen from the database and settings, made once."""

import threading

from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string

from .embeddings import CachingEmbedder, Embedder, EmbeddingCache
from .vectors import InProcessVectors

_made: dict[tuple, object] = {}
_lock = threading.Lock()


def _once(key: tuple, make):
    with _lock:
        if key not in _made:
            _made[key] = make()
        return _made[key]


def reset() -> None:
    """Forget the indexes (tests switch databases and folders); keep the loaded model."""
    with _lock:
        for key in [key for key in _made if key[0] != "embedder"]:
            del _made[key]


def keyword_index():
    """The engine KEYWORD_ENGINE names: Tantivy in this node's data dir (the default, on
    either database), or PostgreSQL's own full-text search."""
    if settings.KEYWORD_ENGINE == "postgresql":
        from .keyword_postgres import PostgresFullText

        return _once(("keyword", "postgresql", connection.settings_dict["NAME"]), PostgresFullText)
    from .keyword_tantivy import TantivyIndex

    path = settings.SEARCH_INDEX_DIR / "keyword"
    return _once(("keyword", "tantivy", str(path)), lambda: TantivyIndex(path))


def embedder() -> Embedder:
    """The embedder the EMBEDDER setting names, with the caches around it.

    Made without loading its model (docs/search.md), so its ``name`` and ``dim``
    cost nothing to read.
    """
    cache = settings.EMBEDDING_CACHE
    return _once(
        ("embedder", settings.EMBEDDER, str(cache)),
        lambda: CachingEmbedder(
            import_string(settings.EMBEDDER)(), EmbeddingCache(cache) if cache else None
        ),
    )


def vector_index():
    """pgvector's HNSW index where the server has the extension, else one in this process:
    either holds the vectors of the chosen embedder, under its name and of its dimension."""
    name, dim = embedder().name, embedder().dim

    def make():
        if connection.vendor == "postgresql":
            # Only here: pgvector's adapter comes with the postgres extra.
            from .vectors_pgvector import PgVectorIndex, enable_pgvector

            if enable_pgvector():
                return PgVectorIndex(name, dim)
        return InProcessVectors(name, dim, graph_dir=settings.SEARCH_INDEX_DIR / "vectors")

    key = ("vectors", connection.vendor, connection.settings_dict["NAME"], name, dim)
    return _once(key, make)
