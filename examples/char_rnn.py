"""A character-level language model: an LSTM that learns to write like Python's documentation.

The text ships with Python: the docstrings of 27 standard-library modules (argparse to
zipfile), of their public functions and classes and of those classes' methods, about 220,000
characters of English about programming; every tenth docstring is held out for validation.
The model is pytorch/examples' ``word_language_model`` on characters: Embedding → LSTM
(hidden 128) → Linear, trained with Adam, a cosine learning rate and gradient clipping
(``nn.utils.clip_grad_norm_``), by truncated backpropagation through time: the text is cut
into 32 parallel streams, read 32 characters at a time, and the LSTM state is carried
(detached) from one chunk to the next. It reports the loss in bits per character against the
unigram entropy of the text (what a model that knows only the character frequencies pays:
about 4.7 bits; the full run reaches about 2.3 on validation in about a minute on two CPU
cores), then samples text with ``tg.multinomial`` at a temperature.

Writes to ``--out``: ``metrics.json``, ``loss.png`` (train and validation bits per character
by epoch) and ``samples.txt``.

    python examples/char_rnn.py --out runs/char_rnn
    python examples/char_rnn.py --compile     # the same numbers: each chunk's step replayed
"""

from __future__ import annotations

import importlib
import inspect
import math
import time
from collections import Counter
from pathlib import Path

import numpy as np
from _common import one_blas_thread, output_folder, parser, progress, pyplot, write_metrics

import tensorgrad as tg
from tensorgrad import nn

MODULES = (  # prose-heavy docstrings; typing's and decimal's are mostly doctest code
    "argparse",
    "calendar",
    "collections",
    "configparser",
    "contextlib",
    "csv",
    "dataclasses",
    "datetime",
    "difflib",
    "functools",
    "heapq",
    "inspect",
    "itertools",
    "json",
    "logging",
    "pathlib",
    "queue",
    "random",
    "re",
    "shutil",
    "statistics",
    "subprocess",
    "tarfile",
    "tempfile",
    "textwrap",
    "threading",
    "zipfile",
)
BATCH_SIZE = 32  # parallel streams of text
BPTT = 32  # characters per truncated-backpropagation chunk
CLIP = 1.0  # largest gradient norm
PROMPTS = ("Return the ", "If ", "This module ")


def stdlib_docstrings() -> list[str]:
    """The docstrings of ``MODULES``, of their public functions and classes and of those
    classes' public methods, in name order, each once (none under ``python -OO``)."""
    found = []
    for name in MODULES:
        module = importlib.import_module(name)
        found.append(inspect.getdoc(module))
        for member, value in sorted(vars(module).items()):
            if member.startswith("_") or getattr(value, "__module__", None) != name:
                continue
            found.append(inspect.getdoc(value))
            if isinstance(value, type):
                # the method's own docstring: getdoc would fall back to the base class's
                found += [
                    inspect.cleandoc(method.__doc__)
                    for method_name, method in sorted(vars(value).items())
                    if not method_name.startswith("_") and callable(method) and method.__doc__
                ]
    return [text for text in dict.fromkeys(found) if text]


def unigram_bits(text: str) -> float:
    """Entropy of the character frequencies in bits: the loss of the best context-free model."""
    counts = np.array(list(Counter(text).values()), dtype=np.float64)
    frequencies = counts / counts.sum()
    return float(-(frequencies * np.log2(frequencies)).sum())


def batchify(codes: np.ndarray, streams: int) -> tg.Tensor:
    """(T·streams,) codes → (T, streams): column j is the j-th contiguous slice of the text,
    so the state after one chunk of a column is the right start for its next chunk."""
    length = len(codes) // streams
    return tg.tensor(codes[: length * streams].reshape(streams, length).T.copy())


class CharLSTM(nn.Module):
    """Embedding → LSTM → Linear: (T, B) character codes to (T, B, vocabulary) logits."""

    def __init__(self, vocabulary: int, hidden: int = 128, layers: int = 1):
        super().__init__()
        self.embedding = nn.Embedding(vocabulary, 64)
        self.lstm = nn.LSTM(64, hidden, num_layers=layers)
        self.head = nn.Linear(hidden, vocabulary)

    def forward(self, codes: tg.Tensor, state=None):
        output, state = self.lstm(self.embedding(codes), state)
        return self.head(output), state


def chunk_loss(model: CharLSTM, chunk: tg.Tensor, state):
    """Mean cross-entropy (nats) of predicting each next character of ``chunk``."""
    logits, state = model(chunk[:-1], state)
    loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), chunk[1:].reshape(-1))
    return loss, state


def evaluate(model: CharLSTM, data: tg.Tensor) -> float:
    """Loss in bits per character, each stream read whole in one pass."""
    model.eval()
    with tg.no_grad():
        loss, _ = chunk_loss(model, data, None)
    return loss.item() / math.log(2)


def train(
    model: CharLSTM,
    train_data: tg.Tensor,
    valid_data: tg.Tensor,
    epochs: int,
    lr: float,
    compiled: bool = False,
):
    """Truncated BPTT over ``BPTT``-character chunks; the state crosses chunk boundaries but
    the gradient does not (``detach``), as in pytorch/examples' word_language_model.
    ``compiled``: the chunk's step runs through ``tensorgrad.compile`` (three records: the
    first chunk, without a state; the others; the shorter last one)."""
    optimizer = tg.optim.Adam(model.parameters(), lr=lr)
    scheduler = tg.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)

    def step(chunk, state):
        loss, state = chunk_loss(model, chunk, state)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        optimizer.step()
        return loss, tuple(tensor.detach() for tensor in state)

    step = tg.compile(step) if compiled else step
    history = {"chunk_bits": [], "train_bits": [], "valid_bits": []}
    for _ in progress(range(epochs), "char-rnn"):
        model.train()
        state, total, chunks = None, 0.0, 0
        # chunks overlap by one character: the last target of one is the first input of the next
        for start in range(0, len(train_data) - 1, BPTT):
            loss, state = step(train_data[start : start + BPTT + 1], state)
            history["chunk_bits"].append(loss.item() / math.log(2))
            total, chunks = total + loss.item(), chunks + 1
        scheduler.step()
        history["train_bits"].append(total / chunks / math.log(2))
        history["valid_bits"].append(evaluate(model, valid_data))
    return history


def sample(model: CharLSTM, vocabulary: list[str], prompt: str, length: int, temperature: float):
    """``prompt`` continued by ``length`` characters, each drawn from softmax(logits / T)."""
    index = {character: code for code, character in enumerate(vocabulary)}
    model.eval()
    with tg.no_grad():
        logits, state = model(tg.tensor([[index[character]] for character in prompt]))
        drawn = []
        for _ in range(length):
            probabilities = nn.functional.softmax(logits[-1] / temperature, dim=-1)
            code = tg.multinomial(probabilities, num_samples=1)  # (1, 1): step 1, batch 1
            drawn.append(vocabulary[code.item()])
            logits, state = model(code, state)
    return prompt + "".join(drawn)


def plot_loss(history: dict, unigram: float, path: Path) -> None:
    """Training loss per chunk (a moving average over 20) and validation loss per epoch."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(7, 4.5))
    chunks = np.array(history["chunk_bits"])
    window = min(20, len(chunks))
    smoothed = np.convolve(chunks, np.ones(window) / window, mode="valid")
    per_epoch = len(chunks) / len(history["valid_bits"])
    axis.plot((np.arange(len(smoothed)) + window) / per_epoch, smoothed, label="train")
    epochs = np.arange(1, len(history["valid_bits"]) + 1)
    axis.plot(epochs, history["valid_bits"], marker="o", label="validation")
    axis.axhline(unigram, color="grey", linestyle="--", label="unigram entropy")
    axis.set(xlabel="epoch", ylabel="bits per character", title="character-level LSTM")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main(argv=None) -> dict:
    arguments = parser(
        __doc__.splitlines()[0], epochs=6, lr=1e-2, out="runs/char_rnn", compiles=True
    )
    arguments.add_argument("--temperature", type=float, default=0.7, help="sampling temperature")
    args = arguments.parse_args(argv)
    folder = output_folder(args.out)
    docstrings = stdlib_docstrings()
    # every tenth docstring held out, so validation text is the same mix of modules as training
    train_text = "\n\n".join(text for i, text in enumerate(docstrings) if i % 10 != 9)
    valid_text = "\n\n".join(docstrings[9::10])
    if args.fast:  # a quarter of the text, once: visibly better than the unigram model in seconds
        train_text, valid_text = train_text[: len(train_text) // 4], valid_text[:5_000]
    epochs = 1 if args.fast else args.epochs
    text = train_text + valid_text
    vocabulary = sorted(set(text))
    index = {character: code for code, character in enumerate(vocabulary)}
    train_data = batchify(np.array([index[c] for c in train_text]), BATCH_SIZE)
    valid_data = batchify(np.array([index[c] for c in valid_text]), 8)

    tg.manual_seed(args.seed)
    model = CharLSTM(len(vocabulary))
    start = time.perf_counter()
    with one_blas_thread():
        history = train(model, train_data, valid_data, epochs, args.lr, args.compile)
        seconds = time.perf_counter() - start
        samples = [sample(model, vocabulary, prompt, 300, args.temperature) for prompt in PROMPTS]
    (folder / "samples.txt").write_text("\n\n---\n\n".join(samples) + "\n")
    plot_loss(history, unigram_bits(text), folder / "loss.png")

    metrics = {
        "epochs": epochs,
        "compiled": args.compile,
        "lr": args.lr,
        "train_characters": len(train_text),
        "valid_characters": len(valid_text),
        "vocabulary": len(vocabulary),
        "parameters": sum(p.numel() for p in model.parameters()),
        "unigram_bits_per_char": unigram_bits(text),
        "first_train_bits_per_char": history["chunk_bits"][0],
        "train_bits_per_char": history["train_bits"][-1],
        "valid_bits_per_char": history["valid_bits"][-1],
        "valid_loss": history["valid_bits"][-1] * math.log(2),
        "seconds": seconds,
    }
    write_metrics(folder, metrics)
    print(
        f"{len(train_text):,} + {len(valid_text):,} characters of stdlib docstrings, "
        f"{len(vocabulary)} distinct, unigram entropy {metrics['unigram_bits_per_char']:.2f} bits"
    )
    print(
        f"after {epochs} epoch{'s' * (epochs != 1)} in {seconds:.1f} s: bits per character "
        f"train {metrics['train_bits_per_char']:.2f}, "
        f"validation {metrics['valid_bits_per_char']:.2f} (loss {metrics['valid_loss']:.3f} nats)"
    )
    print(f"sample at temperature {args.temperature}:\n{samples[0]}")
    print(f"wrote {folder}")
    return metrics


if __name__ == "__main__":
    main()
