"""A tiny GPT learns two-digit addition: a nanoGPT-shaped decoder, written as for PyTorch.

The model is karpathy's nanoGPT in miniature: token and position embeddings, pre-norm blocks of
causal self-attention (``F.scaled_dot_product_attention`` with ``is_causal=True``) and a GELU
MLP, a final LayerNorm and a language-model head that shares its weight with the token
embedding. Training is nanoGPT's too: AdamW with weight decay on the matrices only, a cosine
learning rate with linear warm-up, gradient clipping.

The data is generated: every sum ``a+b`` of two numbers from 0 to 99, written with fixed widths
as ``"07+35=042"`` (two digits, two digits, three for the sum), so every example is 9 tokens
and the answer starts at the same position. 10% of the 10,000 sums are held out and never
trained on; the metric is exact match on them, answers generated greedily digit by digit. The
loss is taken on the answer digits only (the prompt positions get ``ignore_index``), since
the operands are random and there is nothing to learn in predicting them.

At the end the script samples a few answers with temperature and top-k through
``tensorgrad.multinomial`` (as nanoGPT's ``generate``), and draws the loss curves and the
attention maps of one held-out sum.

Run: ``python examples/tiny_gpt.py [--fast] [--out runs/tiny_gpt]``
"""

from __future__ import annotations

import math
import time

import numpy as np

import tensorgrad as tg
import tensorgrad.nn as nn
import tensorgrad.nn.functional as F

try:  # run as a script or imported from the package
    from _common import one_blas_thread, output_folder, parser, progress, pyplot, write_metrics
except ImportError:  # pragma: no cover
    from examples._common import (
        one_blas_thread,
        output_folder,
        parser,
        progress,
        pyplot,
        write_metrics,
    )

VOCABULARY = "0123456789+="
PROMPT = 6  # "07+35=": the answer's three digits follow
BLOCK = 8  # the model sees the 9-token example minus its last token


def encode(a: int, b: int) -> list[int]:
    """The token ids of ``"aa+bb=sss"``."""
    return [VOCABULARY.index(ch) for ch in f"{a:02d}+{b:02d}={a + b:03d}"]


def addition_data(seed: int, held_out: float = 0.1):
    """All 10,000 sums as (N, 9) int64 token arrays, split into train and held-out test."""
    pairs = [(a, b) for a in range(100) for b in range(100)]
    tokens = np.array([encode(a, b) for a, b in pairs], dtype=np.int64)
    order = np.random.default_rng(seed).permutation(len(tokens))
    split = int(len(tokens) * (1 - held_out))
    return tokens[order[:split]], tokens[order[split:]]


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where each position sees itself and the past only.

    (B, T, C) → (B, T, C); one Linear makes q, k and v for every head at once.
    """

    def __init__(self, n_embd: int, n_head: int) -> None:
        super().__init__()
        self.n_head = n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)

    def heads(self, x):
        """q, k, v, each (B, n_head, T, C / n_head)."""
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        return [t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v)]

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.heads(x)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x))."""

    def __init__(self, n_embd: int, n_head: int) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(
            nn.Linear(n_embd, 4 * n_embd),
            nn.GELU(approximate="tanh"),
            nn.Linear(4 * n_embd, n_embd),
        )

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """Token ids (B, T) → next-token logits (B, T, vocab)."""

    def __init__(self, vocab_size: int, block_size: int, n_layer: int, n_head: int, n_embd: int):
        super().__init__()
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(vocab_size, n_embd),
                wpe=nn.Embedding(block_size, n_embd),
                h=nn.ModuleList([Block(n_embd, n_head) for _ in range(n_layer)]),
                ln_f=nn.LayerNorm(n_embd),
            )
        )
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # weight tying, as in GPT-2
        self.apply(self._init_weights)
        for name, parameter in self.named_parameters():
            if name.endswith("c_proj.weight") or name.endswith("mlp.2.weight"):
                # GPT-2's scaled init of the residual projections
                nn.init.normal_(parameter, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))

    @staticmethod
    def _init_weights(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx, targets=None):
        T = idx.size(1)
        positions = tg.arange(0, T, dtype=tg.long)
        x = self.transformer.wte(idx) + self.transformer.wpe(positions)
        for block in self.transformer.h:
            x = block(x)
        logits = self.lm_head(self.transformer.ln_f(x))
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1), ignore_index=-1)
        return logits, loss

    def configure_optimizers(self, weight_decay: float, learning_rate: float, betas):
        """AdamW with decay on the matrices (weights of Linear and Embedding) only."""
        parameters = dict(self.named_parameters())
        decay = [p for p in parameters.values() if p.dim() >= 2]
        no_decay = [p for p in parameters.values() if p.dim() < 2]
        groups = [
            {"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
        return tg.optim.AdamW(groups, lr=learning_rate, betas=betas)

    @tg.no_grad()
    def generate(self, idx, max_new_tokens: int, temperature: float = 1.0, top_k=None):
        """Append ``max_new_tokens`` sampled tokens to ``idx`` (B, T); greedy if temperature 0."""
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -BLOCK:])
            logits = logits[:, -1, :]
            if temperature == 0:
                next_token = logits.argmax(dim=-1, keepdim=True)
            else:
                logits = logits / temperature
                if top_k is not None:
                    v, _ = tg.topk(logits, min(top_k, logits.size(-1)))
                    logits[logits < v[:, [-1]]] = -float("Inf")
                probs = F.softmax(logits, dim=-1)
                next_token = tg.multinomial(probs, num_samples=1)
            idx = tg.cat((idx, next_token), dim=1)
        return idx


def cosine_lr(step: int, total: int, peak: float, warmup: int) -> float:
    """Linear warm-up to ``peak``, then cosine decay to peak/10 (nanoGPT's schedule)."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress_ = (step - warmup) / max(1, total - warmup)
    return peak / 10 + 0.5 * (peak - peak / 10) * (1 + math.cos(math.pi * progress_))


def exact_match(model: GPT, tokens: np.ndarray) -> float:
    """Share of sums whose three answer digits, generated greedily, are all right."""
    model.eval()
    prompts = tg.tensor(tokens[:, :PROMPT])
    answers = model.generate(prompts, 3, temperature=0)[:, PROMPT:]
    model.train()
    return float((answers.numpy() == tokens[:, PROMPT:]).all(axis=1).mean())


def batches(tokens: np.ndarray, batch_size: int, rng: np.random.Generator):
    """Endless random batches: inputs (B, 8) and targets (B, 8), prompt targets ignored."""
    while True:
        rows = tokens[rng.integers(0, len(tokens), batch_size)]
        targets = rows[:, 1:].copy()
        targets[:, : PROMPT - 1] = -1
        yield tg.tensor(rows[:, :-1]), tg.tensor(targets)


def attention_maps(model: GPT, tokens: np.ndarray):
    """Each layer's attention weights for one example: (layers, heads, T, T)."""
    maps = []
    with tg.no_grad():
        idx = tg.tensor(tokens[None, :-1])
        x = model.transformer.wte(idx) + model.transformer.wpe(tg.arange(idx.size(1)))
        for block in model.transformer.h:
            q, k, _ = block.attn.heads(block.ln_1(x))
            scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
            causal = tg.ones(idx.size(1), idx.size(1), dtype=tg.bool).tril()
            maps.append(F.softmax(scores.masked_fill(~causal, -float("inf")), dim=-1)[0].numpy())
            x = block(x)
    return np.stack(maps)


def plot(folder, losses, accuracy_curve, maps, example: str) -> None:
    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    left.plot(losses, lw=0.7)
    left.set(xlabel="step", ylabel="training loss (answer digits)", yscale="log")
    steps, accuracies = zip(*accuracy_curve)
    right.plot(steps, accuracies, marker="o")
    right.set(xlabel="step", ylabel="held-out exact match", ylim=(0, 1.02))
    figure.tight_layout()
    figure.savefig(folder / "loss_curves.png", dpi=120)
    plt.close(figure)
    layers, heads = maps.shape[:2]
    figure, axes = plt.subplots(layers, heads, figsize=(2.6 * heads, 2.6 * layers), squeeze=False)
    labels = list(example[:-1])
    for layer in range(layers):
        for head in range(heads):
            axis = axes[layer][head]
            axis.imshow(maps[layer, head], cmap="viridis", vmin=0, vmax=1)
            axis.set_xticks(range(len(labels)), labels)
            axis.set_yticks(range(len(labels)), labels)
            axis.set_title(f"layer {layer}, head {head}", fontsize=9)
    figure.suptitle(f"attention on {example!r} (row: query position)")
    figure.tight_layout()
    figure.savefig(folder / "attention.png", dpi=120)
    plt.close(figure)


def train_model(
    model: GPT,
    train: np.ndarray,
    test: np.ndarray,
    steps: int,
    lr: float,
    seed: int,
    compiled: bool = False,
):
    """nanoGPT's loop; returns the per-step losses and (step, held-out exact match) pairs."""
    optimizer = model.configure_optimizers(0.1, lr, betas=(0.9, 0.98))
    warmup = max(1, steps // 20)
    losses, accuracy_curve = [], []
    data = batches(train, 128, np.random.default_rng(seed))

    def train_step(inputs, targets):
        _, loss = model(inputs, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss

    train_step = tg.compile(train_step) if compiled else train_step
    for step in progress(range(steps), "training", total=steps):
        for group in optimizer.param_groups:
            group["lr"] = cosine_lr(step, steps, lr, warmup)
        loss = train_step(*next(data))
        losses.append(loss.item())
        if (step + 1) % max(1, steps // 10) == 0:
            accuracy_curve.append((step + 1, exact_match(model, test[:500])))
    return losses, accuracy_curve


def main(argv=None) -> dict:
    description = __doc__.splitlines()[0]
    arguments = parser(description, epochs=1200, lr=3e-3, out="runs/tiny_gpt", compiles=True)
    args = arguments.parse_args(argv)
    folder = output_folder(args.out)
    steps = 40 if args.fast else args.epochs
    tg.manual_seed(args.seed)
    train, test = addition_data(args.seed)
    model = GPT(len(VOCABULARY), BLOCK, n_layer=2, n_head=4, n_embd=64)
    start = time.perf_counter()
    with one_blas_thread():
        losses, accuracy_curve = train_model(
            model, train, test, steps, args.lr, args.seed, args.compile
        )
        train_time = time.perf_counter() - start
        accuracy = exact_match(model, test)
        train_accuracy = exact_match(model, train[:1000])
    final_loss = float(np.mean(losses[-20:]))
    print(f"trained {steps} steps in {train_time:.1f} s; final loss {final_loss:.4f}")
    print(f"held-out exact match: {accuracy:.2%} of {len(test)} sums (train: {train_accuracy:.2%})")
    model.eval()
    samples = model.generate(tg.tensor(test[:4, :PROMPT]), 3, temperature=0.8, top_k=3)
    for row in samples.numpy():
        print("sample:", "".join(VOCABULARY[i] for i in row))
    example = "".join(VOCABULARY[i] for i in test[0])
    plot(folder, losses, accuracy_curve, attention_maps(model, test[0]), example)
    metrics = {
        "test_exact_match": accuracy,
        "train_exact_match": train_accuracy,
        "first_loss": losses[0],
        "final_loss": final_loss,
        "steps": steps,
        "train_seconds": train_time,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    write_metrics(folder, metrics)
    return metrics


if __name__ == "__main__":
    main()
