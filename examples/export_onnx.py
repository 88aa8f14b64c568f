"""Train the digits CNN, export it to ONNX, and serve it with ONNX Runtime alone.

The CNN of ``digits_cnn.py`` is trained briefly, then exported with ``tensorgrad.onnx.export``
with a dynamic batch axis (the export sees one image; the server sends the whole test set at
once). The serving step runs in a separate Python process that cannot import tensorgrad: it
starts without site customisation (``python -I -S``, so the editable install's import hook
never loads), gets only the folders of NumPy and ONNX Runtime on its path, refuses any import
of ``tensorgrad`` on top, and reports that it never loaded it. Its predictions are compared
with tensorgrad's.

Writes to ``--out``: ``digits_cnn.onnx``, ``test_images.npy`` (what the server reads),
``onnxruntime_logits.npy`` (what it answered) and ``metrics.json``.

    python examples/export_onnx.py --out runs/export_onnx
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _common import one_blas_thread, output_folder, parser, write_metrics
from digits_cnn import accuracy, cnn, load_images, train

import tensorgrad as tg

# The serving process: ONNX Runtime and NumPy only. Its argv: the model, the images, where to
# write the logits, then the folders that hold NumPy and ONNX Runtime.
SERVER = """
import importlib.abc, importlib.util, json, sys

model_path, images_path, logits_path, *folders = sys.argv[1:]
sys.path[:0] = folders
visible = importlib.util.find_spec("tensorgrad") is not None


class NoTensorgrad(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "tensorgrad":
            raise ImportError("the ONNX server must run without tensorgrad")


sys.meta_path.insert(0, NoTensorgrad())
import numpy as np
import onnxruntime as ort

session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
images = np.load(images_path)
(logits,) = session.run(None, {session.get_inputs()[0].name: images})
np.save(logits_path, logits)
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "tensorgrad")
print(json.dumps({"tensorgrad_visible": visible, "tensorgrad_loaded": loaded,
                  "batch": int(images.shape[0]), "first_prediction": int(logits[0].argmax())}))
"""


def export(model: tg.nn.Module, sample: np.ndarray, path: Path) -> float:
    """Export ``model`` for a batch of any size; the seconds it took."""
    start = time.perf_counter()
    tg.onnx.export(
        model,
        (tg.tensor(sample),),
        path,
        input_names=["images"],
        output_names=["logits"],
        dynamic_axes={"images": {0: "batch"}, "logits": {0: "batch"}},
    )
    return time.perf_counter() - start


def serve(model_path: Path, images: np.ndarray, folder: Path) -> tuple[np.ndarray, dict]:
    """Run the ONNX model on ``images`` in a process without tensorgrad: (logits, its report)."""
    import onnxruntime

    images_path, logits_path = folder / "test_images.npy", folder / "onnxruntime_logits.npy"
    np.save(images_path, images)
    # The folders that hold the two packages: everything the server may import from.
    folders = sorted({str(Path(m.__file__).parents[1]) for m in (np, onnxruntime)})
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            SERVER,
            str(model_path),
            str(images_path),
            str(logits_path),
            *folders,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the ONNX Runtime server failed:\n{result.stderr}")
    return np.load(logits_path), json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None) -> dict:
    arguments = parser(__doc__.splitlines()[0], epochs=10, lr=3e-3, out="runs/export_onnx")
    args = arguments.parse_args(argv)
    epochs = 1 if args.fast else args.epochs
    folder = output_folder(args.out)
    train_x, train_y, test_x, test_y = load_images(args.seed)

    tg.manual_seed(args.seed)
    model = cnn()
    with one_blas_thread():
        train(model, (train_x, train_y, test_x, test_y), epochs, args.lr, args.seed, "cnn")
    model.eval()
    with tg.no_grad():
        expected = model(tg.tensor(test_x)).numpy()

    model_path = folder / "digits_cnn.onnx"
    seconds = export(model, test_x[:1], model_path)
    logits, report = serve(model_path, test_x, folder)

    predictions, ours = logits.argmax(1), expected.argmax(1)
    metrics = {
        "epochs": epochs,
        "tensorgrad_test_accuracy": accuracy(model, test_x, test_y),
        "onnxruntime_test_accuracy": float((predictions == test_y).mean()),
        "agreement": float((predictions == ours).mean()),
        "max_logit_difference": float(np.abs(logits - expected).max()),
        "served_batch": report["batch"],
        "tensorgrad_visible_to_server": report["tensorgrad_visible"],
        "tensorgrad_loaded_by_server": len(report["tensorgrad_loaded"]),
        "export_seconds": seconds,
        "onnx_bytes": model_path.stat().st_size,
    }
    write_metrics(folder, metrics)
    print(f"exported {model_path} ({metrics['onnx_bytes']:,} bytes) in {seconds:.2f} s")
    print(
        f"ONNX Runtime, in a process without tensorgrad, classified {report['batch']} test "
        f"digits (first: {report['first_prediction']}, label {test_y[0]})"
    )
    print(
        f"test accuracy: ONNX Runtime {metrics['onnxruntime_test_accuracy']:.2%}, tensorgrad "
        f"{metrics['tensorgrad_test_accuracy']:.2%}; same prediction for "
        f"{metrics['agreement']:.2%} of the digits, logits within "
        f"{metrics['max_logit_difference']:.1e}"
    )
    return metrics


if __name__ == "__main__":
    main()
