"""tensorgrad.optim: optimizers and learning-rate schedulers (being written)."""

if __name__ != "tensorgrad.optim":
    raise ImportError(
        "nn/optim is the package tensorgrad.optim: import it as `import tensorgrad.optim`"
    )
