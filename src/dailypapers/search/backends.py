"""Which engines serve this deployment: chosen from the database and settings, made once."""

import threading

from django.conf import settings
from django.db import connection

from .embeddings import EmbeddingCache, MiniLMEmbedder, embedding_name
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
    """Tantivy in the data dir by default; PostgreSQL's own full-text search on PostgreSQL."""
    if connection.vendor == "postgresql":
        from .keyword_postgres import PostgresFullText

        return _once(("keyword", "postgresql", connection.settings_dict["NAME"]), PostgresFullText)
    from .keyword_tantivy import TantivyIndex

    path = settings.SEARCH_INDEX_DIR / "keyword"
    return _once(("keyword", "tantivy", str(path)), lambda: TantivyIndex(path))


def embedder() -> MiniLMEmbedder:
    cache = settings.EMBEDDING_CACHE
    return _once(
        ("embedder", str(settings.MODEL_DIR), embedding_model_name(), str(cache)),
        lambda: MiniLMEmbedder(
            settings.MODEL_DIR,
            max_tokens=settings.EMBEDDING_MAX_TOKENS,
            quantized=settings.EMBEDDING_INT8,
            cache=EmbeddingCache(cache) if cache else None,
            threads=settings.EMBEDDING_THREADS,
        ),
    )


def embedding_model_name() -> str:
    """The name embeddings are stored under, known without loading the model."""
    return embedding_name(settings.EMBEDDING_MAX_TOKENS, settings.EMBEDDING_INT8)


def vector_index():
    """pgvector's HNSW index where the server has the extension, else one in this process."""
    name = embedding_model_name()

    def make():
        if connection.vendor == "postgresql":
            # Only here: pgvector's adapter comes with the postgres extra.
            from .vectors_pgvector import PgVectorIndex, enable_pgvector

            if enable_pgvector():
                return PgVectorIndex(name, dim=384)
        return InProcessVectors(name, dim=384, graph_dir=settings.SEARCH_INDEX_DIR / "vectors")

    return _once(("vectors", connection.vendor, connection.settings_dict["NAME"], name), make)
