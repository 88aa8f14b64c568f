"""Every example in examples/ runs in --fast mode and its numbers make sense.

The examples are scripts (``python examples/x.py``); here each is imported from its file and
its ``main(argv)`` called in-process, which saves an interpreter start per example. One test
runs a script the way users do, as a subprocess.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import strict_backend  # noqa: F401 - registers the "strict" device (tests' second backend)

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def example(monkeypatch):
    """Load ``examples/<name>.py`` as a module (its folder on sys.path for ``_common``)."""
    monkeypatch.syspath_prepend(str(EXAMPLES))

    def load(name: str):
        spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


def run(example, name: str, out: Path, *flags: str) -> dict:
    """``main(['--fast', '--out', out, *flags])``; check metrics.json matches what it returned."""
    metrics = example(name).main(["--fast", "--out", str(out), *flags])
    written = json.loads((out / "metrics.json").read_text())
    assert set(written) == set(metrics)
    return written


def assert_compiles_to_the_same_numbers(example, name: str, eager: dict, out: Path, *flags):
    """Run ``name`` again with ``--compile``: every metric but the times (keys ending in
    ``seconds``) and the ``compiled`` flag equals the eager run's."""
    compiled = run(example, name, out, *flags, "--compile")

    def numbers(metrics: dict) -> dict:
        return {k: v for k, v in metrics.items() if not k.endswith("seconds") and k != "compiled"}

    assert compiled.get("compiled", True) is True and eager.get("compiled", False) is False
    assert numbers(compiled) == numbers(eager)


def test_perceptron_answers_the_riddle(example, tmp_path):
    metrics = run(example, "perceptron", tmp_path)
    assert metrics["tutorial_riddle_output"] > 0.99
    assert metrics["cross_entropy_riddle_output"] > 0.99
    assert (tmp_path / "loss.png").stat().st_size > 0


def test_gradient_descent_stops_at_the_analytic_minimum(example, tmp_path):
    metrics = run(example, "gradient_descent", tmp_path)
    assert abs(metrics["minimum_found"] - 2.25) < 1e-4
    assert (tmp_path / "path.png").stat().st_size > 0


def test_xor_modern_recipe_solves_it_in_few_steps(example, tmp_path):
    metrics = run(example, "xor", tmp_path)
    assert metrics["tutorial_final_loss"] < metrics["tutorial_first_loss"]
    assert [round(v) for v in metrics["modern_outputs"]] == [0, 1, 1, 0]
    assert metrics["modern_solved_at"] < 100
    assert (tmp_path / "loss.png").stat().st_size > 0
    assert_compiles_to_the_same_numbers(example, "xor", metrics, tmp_path / "compiled")


def test_binary_classification_beats_chance(example, tmp_path):
    metrics = run(example, "binary_classification", tmp_path)
    # --compile replays every update (the last, smaller batch of each epoch records its own)
    assert_compiles_to_the_same_numbers(
        example, "binary_classification", metrics, tmp_path / "compiled"
    )
    assert metrics["final_loss"] < metrics["first_loss"]
    assert metrics["test_accuracy"] > 0.8
    assert metrics["test_roc_auc"] > 0.85
    for name in ("precision", "recall", "f1"):
        assert 0.5 < metrics[f"test_{name}"] <= 1.0
    for mode in ("batch", "mini_batch", "stochastic"):
        assert metrics[f"{mode}_test_accuracy"] > 0.6
    # one epoch is one update for batch, n/32 for mini-batch, n for stochastic
    assert metrics["batch_updates"] < metrics["mini_batch_updates"] < metrics["stochastic_updates"]
    for png in ("decision_boundary.png", "roc.png", "loss.png"):
        assert (tmp_path / png).stat().st_size > 0


def test_digits_both_recipes_and_the_reloaded_weights(example, tmp_path):
    metrics = run(example, "digits", tmp_path)
    assert metrics["tutorial_final_loss"] < metrics["tutorial_first_loss"]
    assert metrics["modern_final_loss"] < metrics["modern_first_loss"]
    assert metrics["modern_test_accuracy"] > 0.8
    assert metrics["reloaded_test_accuracy"] == metrics["modern_test_accuracy"]
    for name in ("curves.png", "confusion.png", "digits_mlp.safetensors"):
        assert (tmp_path / name).stat().st_size > 0
    if shutil.which("dot"):
        assert (tmp_path / "digits_graph.svg").read_text().count("CrossEntropyLoss") >= 1


def test_digits_compiled_gives_the_eager_numbers(example, tmp_path):
    """``--compile`` replays the recorded steps: every metric but the times is the same."""
    eager = run(example, "digits", tmp_path / "eager")
    assert_compiles_to_the_same_numbers(example, "digits", eager, tmp_path / "compiled")


@pytest.mark.parametrize("name", ["digits", "digits_cnn"])
def test_training_on_a_device_gives_the_cpu_numbers(example, tmp_path, name):
    """``--device``: the same run on the tests' second backend (``strict_backend.py``, what
    ``cuda`` is to a GPU machine) — every metric but the times is the CPU's."""
    on_cpu = run(example, name, tmp_path / "cpu")
    on_device = run(example, name, tmp_path / "device", "--device", "strict")
    assert on_cpu.pop("device") == "cpu" and on_device.pop("device") == "strict"
    for metrics in (on_cpu, on_device):
        for key in [key for key in metrics if key.endswith("seconds")]:
            del metrics[key]
    assert on_device == on_cpu


def test_digits_cnn_learns_and_writes_its_pictures(example, tmp_path):
    metrics = run(example, "digits_cnn", tmp_path)
    assert metrics["cnn_final_loss"] < metrics["cnn_first_loss"]
    assert metrics["cnn_test_accuracy"] > 0.7  # two epochs (--fast); the full run reaches 99%
    for name in ("filters.png", "feature_maps.png", "misclassified.png", "digits_cnn.safetensors"):
        assert (tmp_path / name).stat().st_size > 0
    assert "| CNN |" in (tmp_path / "comparison.md").read_text()
    assert_compiles_to_the_same_numbers(example, "digits_cnn", metrics, tmp_path / "compiled")


def test_char_rnn_beats_the_unigram_model_and_samples(example, tmp_path):
    metrics = run(example, "char_rnn", tmp_path)
    # --compile replays each chunk's step (LSTM, clipping, Adam, the state carried in and out)
    assert_compiles_to_the_same_numbers(example, "char_rnn", metrics, tmp_path / "compiled")
    # one pass over a quarter of the text (--fast) gets about 3.5 bits; knowing only the
    # character frequencies costs about 4.7, and an untrained model log2(vocabulary) ≈ 6.5
    assert metrics["valid_bits_per_char"] < metrics["unigram_bits_per_char"] - 0.7
    assert metrics["train_bits_per_char"] < metrics["first_train_bits_per_char"] - 1.0
    samples = (tmp_path / "samples.txt").read_text()
    assert samples.startswith("Return the ") and len(samples) > 900
    assert (tmp_path / "loss.png").stat().st_size > 0


def test_sine_forecast_beats_repeating_the_last_value(example, tmp_path):
    metrics = run(example, "sine_forecast", tmp_path)
    assert_compiles_to_the_same_numbers(example, "sine_forecast", metrics, tmp_path / "compiled")
    # one step ahead: the persistence baseline pays the noise twice (≈ 0.021), a model that
    # has learned the wave pays it about once (≥ 0.01)
    assert metrics["noise_variance"] < metrics["test_mse"] < 0.8 * metrics["test_baseline_mse"]
    assert metrics["forecast_mse"] < 0.8 * metrics["forecast_baseline_mse"]
    assert (tmp_path / "forecast.png").stat().st_size > 0
    assert (tmp_path / "loss.png").stat().st_size > 0


def test_tiny_gpt_learns_and_draws_its_attention(example, tmp_path, capsys):
    metrics = run(example, "tiny_gpt", tmp_path)
    assert metrics["first_loss"] == pytest.approx(np.log(12), rel=0.05)  # uniform over 12 tokens
    assert metrics["final_loss"] < 0.7 * metrics["first_loss"]  # 40 steps; the full run: 1e-4
    assert 0 <= metrics["test_exact_match"] <= 1
    assert len(re.findall(r"sample: \d\d\+\d\d=\d{3}", capsys.readouterr().out)) == 4
    for name in ("loss_curves.png", "attention.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert_compiles_to_the_same_numbers(example, "tiny_gpt", metrics, tmp_path / "compiled")


def test_vectorization_loops_are_slowest(example, tmp_path):
    metrics = run(example, "vectorization", tmp_path)
    assert metrics["loops_over_numpy"] > 5
    assert metrics["python_loops_us"] > metrics["tensorgrad_no_grad_us"] > 0
    assert (tmp_path / "timings.png").stat().st_size > 0


def test_graph_mlp_writes_both_drawings(example, tmp_path, capsys):
    example("graph_mlp").main(["--fast", "--out", str(tmp_path)])
    drawings = sorted(path.stem for path in tmp_path.iterdir())
    assert drawings == ["mlp_after_backward", "mlp_before_backward"]
    assert "step    0" in capsys.readouterr().out


def test_custom_op_gradcheck_catches_the_wrong_derivative(example, capsys):
    example("custom_op_gradcheck").main(["--fast"])
    output = capsys.readouterr().out
    assert "SloppySoftsign: caught" in output
    assert "is wrong at index" in output


def test_a_script_runs_from_the_command_line(tmp_path):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "perceptron.py"), "--fast", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "riddle 100 -> 0.99" in result.stdout
    assert "%|" not in result.stderr  # no tqdm bar off a terminal


# --- MNIST: the IDX loader on files written here, and the example on a tiny fake MNIST ---


def idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    """``array`` in the IDX format (big-endian header and values)."""
    dtype = {0x08: ">u1", 0x0B: ">i2", 0x0D: ">f4"}[code]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + array.astype(dtype).tobytes()


def write_idx(path: Path, array: np.ndarray, gzipped: bool, code: int = 0x08) -> None:
    """Write ``array`` as an IDX file at ``path``, gzip-compressed if ``gzipped``."""
    data = idx_bytes(array, code)
    path.write_bytes(gzip.compress(data) if gzipped else data)


@pytest.mark.parametrize("gzipped", [False, True])
def test_load_idx_reads_what_was_written(example, tmp_path, gzipped):
    load_idx = example("mnist_idx").load_idx
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "images", images, gzipped)
    loaded = load_idx(tmp_path / "images")
    assert loaded.dtype == np.uint8 and loaded.shape == (2, 3, 4)
    np.testing.assert_array_equal(loaded, images)

    floats = np.array([[1.5, -2.25]], dtype=np.float32)
    write_idx(tmp_path / "floats", floats, gzipped, code=0x0D)
    loaded = load_idx(tmp_path / "floats")
    assert loaded.dtype == np.float32 and loaded.dtype.isnative
    np.testing.assert_array_equal(loaded, floats)


def test_load_idx_rejects_bad_files(example, tmp_path):
    load_idx = example("mnist_idx").load_idx
    good = idx_bytes(np.zeros((3, 2, 2), dtype=np.uint8))
    cases = {
        "magic": (b"\x01\x02" + good[2:], "not an IDX file"),
        "code": (good[:2] + b"\x07" + good[3:], "unknown type code 0x07"),
        "truncated": (good[:-1], "truncated: shape (3, 2, 2) of uint8 needs 28 bytes"),
        "header": (good[:9], "truncated: the header of a 3-D file needs 16 bytes"),
        "long": (good + b"\x00", "longer than its header says"),
        "gzip": (gzip.compress(good)[:-6], "damaged gzip file"),
    }
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ValueError, match=re.escape(message)):
            load_idx(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        load_idx(tmp_path / "absent")


def fake_mnist(folder: Path, train: int = 600, test: int = 200) -> None:
    """Learnable 28×28 images: digit d lights up row block d; labels 0-9; train part gzipped."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for split, n, gzipped in (("train", train, True), ("t10k", test, False)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for image, label in zip(images, labels):
            image[2 * label : 2 * label + 3, 4:24] = 255
        suffix = ".gz" if gzipped else ""
        write_idx(folder / f"{split}-images-idx3-ubyte{suffix}", images, gzipped)
        write_idx(folder / f"{split}-labels-idx1-ubyte{suffix}", labels, gzipped)


def test_load_mnist_names_the_missing_files(example, tmp_path):
    load_mnist = example("mnist_idx").load_mnist
    fake_mnist(tmp_path)
    arrays = load_mnist(tmp_path)
    assert arrays["train_images"].shape == (600, 28, 28)
    assert arrays["test_labels"].shape == (200,)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match="lacks t10k-labels-idx1-ubyte .*download"):
        load_mnist(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(7, dtype=np.uint8), False)
    with pytest.raises(ValueError, match=r"test images of shape \(200, 28, 28\) do not match"):
        load_mnist(tmp_path)


def test_mnist_example_exits_2_without_the_files(example, tmp_path, capsys):
    main = example("mnist").main
    with pytest.raises(SystemExit) as exit_info:
        main(["--fast", "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["--fast", "--out", str(tmp_path), "--data", str(tmp_path / "nowhere")])
    assert exit_info.value.code == 2
    assert "train-images-idx3-ubyte" in capsys.readouterr().err


@pytest.mark.parametrize("model", ["mlp", "lenet", "cnn"])
def test_mnist_example_trains_on_idx_files(example, tmp_path, model):
    fake_mnist(tmp_path / "data")
    data = str(tmp_path / "data")
    metrics = run(example, "mnist", tmp_path / "out", "--data", data, "--model", model)
    assert metrics["train_samples"] == 600 and metrics["model"] == model
    assert metrics["test_accuracy"] > 0.5
    assert (tmp_path / "out" / "curves.png").stat().st_size > 0


def test_mnist_compiled_gives_the_eager_numbers(example, tmp_path):
    """The 784-256-128-10 MLP with dropout and Adam, compiled: the same losses and accuracy
    (dropout's masks drawn from the same generator in the replays)."""
    fake_mnist(tmp_path / "data")
    data = str(tmp_path / "data")
    eager = run(example, "mnist", tmp_path / "eager", "--data", data)
    assert_compiles_to_the_same_numbers(
        example, "mnist", eager, tmp_path / "compiled", "--data", data
    )


def test_export_onnx_serves_the_digits_cnn_without_tensorgrad(example, tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    metrics = run(example, "export_onnx", tmp_path)
    assert metrics["tensorgrad_visible_to_server"] is False
    assert metrics["tensorgrad_loaded_by_server"] == 0
    assert metrics["served_batch"] == 719  # exported with one image: the batch axis is dynamic
    assert metrics["max_logit_difference"] < 1e-4
    assert metrics["agreement"] == 1.0
    assert metrics["onnxruntime_test_accuracy"] == metrics["tensorgrad_test_accuracy"] > 0.5
    assert (tmp_path / "digits_cnn.onnx").stat().st_size > 0
