"""all-MiniLM-L6-v2 as an ONNX graph, built from its packaged safetensors without torch.

The graph is BERT's encoder as Hugging Face's ``BertModel`` computes it
(embeddings, then self-attention and GELU feed-forward layers, each followed
by a residual LayerNorm), then sentence-transformers' mean pooling and L2
normalisation. Inputs ``input_ids``, ``attention_mask`` and ``token_type_ids``
(int64, batch x tokens), output ``embedding`` (float32, batch x hidden size).
``search/tests/test_model_graph.py`` checks it against the PyTorch model.
"""

import json
import logging
import math
import os
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file

from .minilm_package import minilm_path

# Operators of opset 17 (LayerNormalization, ReduceSum with axes as input) and
# the IR version of that release, which every ONNX Runtime since 1.12 loads.
OPSET = 17
IR_VERSION = 8


class _Graph:
    """Collects nodes and initializers; each helper returns its output's name."""

    def __init__(self, weights: dict[str, np.ndarray]):
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def constant(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def weight(self, name: str, transposed: bool = False) -> str:
        value = self.weights[name]
        return self.constant(name, value.T if transposed else value)

    def op(self, op_type: str, *inputs: str, **attributes) -> str:
        self._count += 1
        output = f"{op_type.lower()}_{self._count}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], **attributes))
        return output

    def linear(self, x: str, prefix: str) -> str:
        """``x @ W.T + b``, as torch's Linear: MatMul on the transposed weight, then Add."""
        matmul = self.op("MatMul", x, self.weight(f"{prefix}.weight", transposed=True))
        return self.op("Add", matmul, self.weight(f"{prefix}.bias"))

    def heads(self, x: str, prefix: str, split: str, perm: list[int]) -> str:
        """A projection of ``x`` split into attention heads, axes in ``perm``'s order."""
        return self.op("Transpose", self.op("Reshape", self.linear(x, prefix), split), perm=perm)

    def layer_norm(self, x: str, prefix: str, epsilon: float) -> str:
        return self.op(
            "LayerNormalization",
            x,
            self.weight(f"{prefix}.weight"),
            self.weight(f"{prefix}.bias"),
            axis=-1,
            epsilon=epsilon,
        )


def build_minilm_graph(model_dir: Path) -> onnx.ModelProto:
    """The float32 graph of the sentence encoder whose weights and config are in ``model_dir``."""
    config = json.loads((model_dir / "config.json").read_text())
    if config.get("hidden_act") != "gelu" or config.get("position_embedding_type") != "absolute":
        raise ValueError(f"{model_dir}: not a BERT model this graph reproduces")
    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    head_size, epsilon = hidden // heads, config["layer_norm_eps"]
    g = _Graph(load_file(str(model_dir / "model.safetensors")))

    # Position ids sliced from a constant 0..511 row, then looked up like the words
    # (as in the graph torch exported before, so the quantiser treats the table
    # alike). A Range would be shorter, but ONNX Runtime 1.32 rewrites
    # Gather(Range) into a Slice it cannot run.
    axis_1 = g.constant("axis_1", np.array([1]))
    tokens = g.op("Shape", "input_ids", start=1, end=2)
    position_ids = g.op(
        "Slice",
        g.constant("position_ids", np.arange(config["max_position_embeddings"])[None, :]),
        g.constant("zero", np.array([0])),
        tokens,
        axis_1,
    )
    positions = g.op("Gather", g.weight("embeddings.position_embeddings.weight"), position_ids)
    words = g.op("Gather", g.weight("embeddings.word_embeddings.weight"), "input_ids")
    types = g.op("Gather", g.weight("embeddings.token_type_embeddings.weight"), "token_type_ids")
    summed = g.op("Add", g.op("Add", words, types), positions)
    x = g.layer_norm(summed, "embeddings.LayerNorm", epsilon)

    # Padding gets the lowest float added to its attention scores, as in BertModel.
    mask = g.op("Cast", "attention_mask", to=TensorProto.FLOAT)
    one = g.constant("one", np.array(1.0, dtype=np.float32))
    lowest = g.constant("lowest", np.array(np.finfo(np.float32).min, dtype=np.float32))
    padding = g.op("Mul", g.op("Sub", one, mask), lowest)
    score_bias = g.op("Unsqueeze", padding, g.constant("axes_1_2", np.array([1, 2])))
    split_heads = g.constant("split_heads", np.array([0, 0, heads, head_size]))
    merge_heads = g.constant("merge_heads", np.array([0, 0, hidden]))
    scale = g.constant("scale", np.array(1 / math.sqrt(head_size), dtype=np.float32))
    half = g.constant("half", np.array(0.5, dtype=np.float32))
    sqrt2 = g.constant("sqrt2", np.array(math.sqrt(2), dtype=np.float32))

    for n in range(config["num_hidden_layers"]):
        layer = f"encoder.layer.{n}"

        self_attention = f"{layer}.attention.self"
        # batch, heads, tokens, head_size; the keys transposed: head_size, then tokens.
        query = g.heads(x, f"{self_attention}.query", split_heads, [0, 2, 1, 3])
        key = g.heads(x, f"{self_attention}.key", split_heads, [0, 2, 3, 1])
        value = g.heads(x, f"{self_attention}.value", split_heads, [0, 2, 1, 3])
        scores = g.op("Add", g.op("Mul", g.op("MatMul", query, key), scale), score_bias)
        context = g.op("MatMul", g.op("Softmax", scores, axis=-1), value)
        merged = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), merge_heads)
        attended = g.linear(merged, f"{layer}.attention.output.dense")
        x = g.layer_norm(g.op("Add", attended, x), f"{layer}.attention.output.LayerNorm", epsilon)
        inner = g.linear(x, f"{layer}.intermediate.dense")
        # GELU as BERT defines it (erf, not the tanh approximation).
        gelu = g.op(
            "Mul",
            g.op("Mul", inner, half),
            g.op("Add", one, g.op("Erf", g.op("Div", inner, sqrt2))),
        )
        out = g.linear(gelu, f"{layer}.output.dense")
        x = g.layer_norm(g.op("Add", out, x), f"{layer}.output.LayerNorm", epsilon)

    # Mean over the real tokens, then unit length (sentence-transformers' Pooling, Normalize).
    token_mask = g.op("Unsqueeze", mask, g.constant("axis_2", np.array([2])))
    total = g.op("ReduceSum", g.op("Mul", x, token_mask), axis_1, keepdims=0)
    count = g.op(
        "Clip",
        g.op("ReduceSum", token_mask, axis_1, keepdims=0),
        g.constant("tiny", np.array(1e-9, dtype=np.float32)),
    )
    mean = g.op("Div", total, count)
    norm = g.op(
        "Max",
        g.op("ReduceL2", mean, axes=[1], keepdims=1),
        g.constant("norm_floor", np.array(1e-12, dtype=np.float32)),
    )
    g.nodes.append(helper.make_node("Div", [mean, norm], ["embedding"]))

    ids = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"])
        for name in ("input_ids", "attention_mask", "token_type_ids")
    ]
    graph = helper.make_graph(
        g.nodes,
        "all-MiniLM-L6-v2",
        ids,
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", hidden])],
        g.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def write_minilm_onnx(target: Path, quantized: bool) -> None:
    """Write the model as an ONNX file: float32, or with per-channel int8 weights.

    Per-channel int8 keeps cosine >= 0.99 to the float model at three times the
    speed (per-tensor int8 falls to ~0.9: avoided).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target.parent.mkdir(parents=True, exist_ok=True)
    model = build_minilm_graph(minilm_path())
    partial = target.with_suffix(f".{os.getpid()}.onnx")
    if quantized:
        float_file = target.with_suffix(f".{os.getpid()}.float.onnx")
        onnx.save(model, float_file)
        # The quantiser advises a pre-processing pass on the root logger. This graph
        # does without it (docs/benchmarks.md: same nDCG@10): keep the operator's
        # console for what matters.
        disabled = logging.root.manager.disable
        logging.disable(logging.WARNING)
        try:
            quantize_dynamic(float_file, partial, per_channel=True, weight_type=QuantType.QInt8)
        finally:
            logging.disable(disabled)
            float_file.unlink()
    else:
        onnx.save(model, partial)
    partial.replace(target)  # atomic: another process never sees half a file
