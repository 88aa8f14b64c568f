"""tensorgrad.nn: neural-network modules, layers, losses and initialisation.

This folder is shipped as the subpackage ``tensorgrad.nn`` (see ``pyproject.toml``); it must
never be imported as a top-level ``nn`` package, which would load a second copy of every class
and break ``isinstance`` checks.
"""

if __name__ != "tensorgrad.nn":
    raise ImportError(
        "the nn/ folder is the package tensorgrad.nn: import it as `import tensorgrad.nn` "
        "(or `from tensorgrad import nn`), not as a top-level `nn`"
    )
