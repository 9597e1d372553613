"""Embeddings live with the catalog, so every process and every database sees the same ones."""

import numpy as np
from django.db import models

from dailypapers.papers.models import Paper


class PaperEmbedding(models.Model):
    paper = models.OneToOneField(
        Paper, primary_key=True, on_delete=models.CASCADE, related_name="embedding"
    )
    # Which model (and truncation) made the vector; another model's vectors are redone.
    model = models.CharField(max_length=100)
    # Of the embedded text: a paper whose title or abstract changed is embedded again.
    text_hash = models.CharField(max_length=32)
    # float32, L2-normalised, little-endian.
    vector = models.BinaryField()
    # The numbers of the text's distinct terms (``analysis.term_number``), uint32,
    # little-endian: what a reader's "For you" profile counts of the paper, without
    # analysing it again. Null: not stored yet (``indexing.store_missing_terms``).
    terms = models.BinaryField(null=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    def as_array(self) -> np.ndarray:
        return np.frombuffer(self.vector, dtype="<f4")


class EmbeddingProgress(models.Model):
    """How far embedding has got: one row, written as papers are embedded (search/progress.py)."""

    embedded = models.PositiveIntegerField()
    # Papers with an abstract: placeholders without one are never embedded.
    total = models.PositiveIntegerField()
    # Over the run in progress, once it has finished a batch; null between runs.
    per_second = models.FloatField(null=True)
    updated_at = models.DateTimeField(auto_now=True)
