"""A second embedder, for the tests: words hashed into a few dimensions.

Deterministic and instant, with no model to load. Choosing it is one setting:
``DAILYPAPERS_EMBEDDER=dailypapers.search.tests.hashing_embedder.HashingEmbedder``.
"""

import hashlib
import re
from collections.abc import Sequence

import numpy as np

# Words this long or longer count, by their first letters: a crude stem, so that
# "quantize" and "quantization" meet.
SHORTEST = 4
STEM = 6


class HashingEmbedder:
    name = "word-hashing/32"
    dim = 32

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        return np.array([self.embed_query(text) for text in texts], dtype=np.float32).reshape(
            len(texts), self.dim
        )

    def embed_query(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        for word in re.findall(rf"[a-z]{{{SHORTEST},}}", text.lower()):
            digest = hashlib.blake2b(word[:STEM].encode(), digest_size=8).digest()
            bucket = int.from_bytes(digest, "little")
            vector[bucket % self.dim] += 1.0 if bucket >> 63 else -1.0
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector


class SmallHashingEmbedder(HashingEmbedder):
    """Another model as far as search can tell: another name, another dimension."""

    name = "word-hashing/16"
    dim = 16
