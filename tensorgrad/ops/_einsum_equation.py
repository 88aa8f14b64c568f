"""Reading an ``einsum`` equation the way PyTorch does: its checks and errors, its dtype
rules, and the canonical form ``tensorgrad.ops.einsum`` computes (letters only, every ellipsis
spelled out in fresh letters, an explicit output, each operand's broadcast shape)."""

from __future__ import annotations

import functools
import string

from .. import _backend
from .._dtypes import promote_numpy

# PyTorch's order: sublist label k is LETTERS[k], and implicit outputs sort in this order.
LETTERS = string.ascii_uppercase + string.ascii_lowercase


def unused_letters(used: set) -> list[str]:
    """The letters not in ``used``, in order (fresh names for dims)."""
    return [letter for letter in LETTERS if letter not in used]


def next_letter(fresh):
    """The next of an iterator of fresh letters; a RuntimeError when there are none left."""
    letter = next(fresh, None)
    if letter is None:
        raise RuntimeError("einsum(): more than 52 distinct dims are not supported")
    return letter


class _Operand:
    """What the equation checks read of an operand: its shape and dtype."""

    def __init__(self, shape: tuple, dtype):
        self.shape, self.ndim, self.dtype = shape, len(shape), dtype


@functools.lru_cache(maxsize=512)
def plan(equation: str, shapes: tuple, dtypes: tuple):
    """The canonical subscripts, output, broadcast operand shapes and result dtype of a call
    (checked once per equation, shapes and dtypes, then cached)."""
    operands = [_Operand(shape, dtype) for shape, dtype in zip(shapes, dtypes, strict=True)]
    inputs, output = _parse(equation, operands)
    sizes = _sizes(inputs, operands, ellipsis=set().union(*inputs) - set(equation))
    dtype = _result_dtype(inputs, output, operands)
    subscripts = tuple("".join(labels) for labels in inputs)
    shapes = tuple(tuple(sizes[letter] for letter in labels) for labels in inputs)
    return subscripts, "".join(output), shapes, dtype


def _error(message: str) -> RuntimeError:
    return RuntimeError(f"einsum(): {message}")


def sublist_equation(args: tuple) -> tuple[str, list]:
    """``einsum(op0, sublist0, op1, sublist1, …, [sublist_out])`` as an equation."""

    def letters(sublist) -> str:
        text = ""
        for label in sublist:
            if label is Ellipsis:
                text += "..."
            elif isinstance(label, int) and not isinstance(label, bool) and 0 <= label < 52:
                text += LETTERS[label]
            else:
                raise ValueError(
                    "einsum(): subscript in subscript list is not within the valid range [0, 52)"
                )
        return text

    operands = list(args[0::2][: len(args) // 2])
    terms = [letters(sublist) for sublist in args[1::2][: len(args) // 2]]
    equation = ",".join(terms)
    if len(args) % 2:
        equation += "->" + letters(args[-1])
    return equation, operands


def _check_characters(equation: str) -> int:
    """Raise at the first character PyTorch does not accept; return where ``->`` is (or -1)."""
    arrow = equation.find("->")
    for index, char in enumerate(equation):
        if char in LETTERS or char in " .":
            continue
        if char == "," and (arrow < 0 or index < arrow):
            continue
        if arrow >= 0 and index in (arrow, arrow + 1):
            continue
        raise _error(
            f"invalid subscript given at index {index} in the equation string, subscripts "
            f"must be in [a-zA-Z]"
        )
    return arrow


def _labels(term: str, which: str) -> list:
    """The letters of one term, with ``None`` where its ellipsis is."""
    labels, index = [], 0
    term = term.replace(" ", "")
    while index < len(term):
        if term[index] != ".":
            labels.append(term[index])
            index += 1
        elif None in labels:
            raise _error(f"found '.' for {which} for which an ellipsis (...) was already found")
        elif term[index : index + 3] != "...":
            raise _error(f"found '.' for {which} that is not part of any ellipsis (...)")
        else:
            labels.append(None)
            index += 3
    return labels


def _parse(equation: str, operands: list) -> tuple[list[list[str]], list[str]]:
    """Each operand's subscripts (one letter per dim, ellipses spelled out) and the output's."""
    arrow = _check_characters(equation)
    terms = (equation if arrow < 0 else equation[:arrow]).split(",")
    if len(terms) > len(operands):
        raise _error("fewer operands were provided than specified in the equation")
    if len(terms) < len(operands):
        raise _error("more operands were provided than specified in the equation")
    inputs = [_labels(term, f"operand {k}") for k, term in enumerate(terms)]
    covered = []  # how many dims each operand's ellipsis covers
    for k, (labels, operand) in enumerate(zip(inputs, operands, strict=True)):
        letters, ndim = len(labels) - (None in labels), operand.ndim
        if None not in labels and letters != ndim:
            raise _error(
                f"the number of subscripts in the equation ({letters}) does not match the "
                f"number of dimensions ({ndim}) for operand {k} and no ellipsis was given"
            )
        if letters > ndim:
            raise _error(
                f"the number of subscripts in the equation ({letters}) is more than the "
                f"number of dimensions ({ndim}) for operand {k}"
            )
        covered.append(ndim - letters)
    used = {label for labels in inputs for label in labels if label}
    ellipsis_dims = max((c for c, labels in zip(covered, inputs) if None in labels), default=0)
    spare = unused_letters(used)
    if ellipsis_dims > len(spare):
        raise _error("more than 52 distinct dims are not supported")
    ellipsis = spare[:ellipsis_dims]
    inputs = [
        _spell_out(labels, ellipsis[ellipsis_dims - c :]) for labels, c in zip(inputs, covered)
    ]
    if arrow < 0:
        counts = {}
        for letter in (s for labels in inputs for s in labels):
            counts[letter] = counts.get(letter, 0) + 1
        single = sorted(s for s, n in counts.items() if n == 1 and s not in ellipsis)
        return inputs, ellipsis + single
    output_labels = _labels(equation[arrow + 2 :], "output")
    for letter in output_labels:
        if letter is not None and letter not in used:
            raise _error(
                f"output subscript {letter} does not appear in the equation for any input operand"
            )
        if letter is not None and output_labels.count(letter) > 1:
            raise _error(f"output subscript {letter} appears more than once in the output")
    return inputs, _spell_out(output_labels, ellipsis)


def _spell_out(labels: list, ellipsis: list[str]) -> list[str]:
    if None not in labels:
        return labels
    at = labels.index(None)
    return labels[:at] + ellipsis + labels[at + 1 :]


def _sizes(inputs: list[list[str]], operands: list, ellipsis: set) -> dict:
    """Each letter's size, checking repeats within an operand and broadcasting across."""
    sizes = {}
    for k, (labels, operand) in enumerate(zip(inputs, operands, strict=True)):
        own = {}
        for position, (letter, size) in enumerate(zip(labels, operand.shape, strict=True)):
            if letter in own and own[letter] != size:
                raise _error(
                    f"subscript {letter} is repeated for operand {k} but the sizes don't match, "
                    f"{size} != {own[letter]}"
                )
            own[letter] = size
            seen = sizes.get(letter)
            if seen is None or seen == 1:
                sizes[letter] = size
            elif size not in (1, seen):
                if letter in ellipsis:
                    raise _error(
                        f"dimension {position} covered by ellipsis in operand {k} has size "
                        f"{size} which does not broadcast with previously seen ellipsis with "
                        f"size {seen} for the respective dimension"
                    )
                raise _error(
                    f"subscript {letter} has size {size} for operand {k} which does not "
                    f"broadcast with previously seen size {seen}"
                )
    return sizes


def _result_dtype(inputs: list[list[str]], output: list[str], operands: list):
    """PyTorch's dtype: an integer or bool operand summed over a dim no other operand has
    becomes int64 (``sum``'s rule), operands sharing a summed dim must have one dtype (it is
    a ``bmm``), and the rest promotes as ``mul`` does."""
    holders = {}  # letter -> operands where it has a size other than 1
    for k, (labels, operand) in enumerate(zip(inputs, operands, strict=True)):
        for letter, size in zip(labels, operand.shape, strict=True):
            if size != 1 and k not in holders.setdefault(letter, []):
                holders[letter].append(k)
    dtypes = []
    for k, (labels, operand) in enumerate(zip(inputs, operands, strict=True)):
        dtype = operand.dtype
        if dtype.kind in "biu":
            if len(operands) == 1:
                summed_alone = any(letter not in output for letter in labels)
            else:
                summed_alone = any(
                    letter not in output and holders.get(letter) == [k] for letter in labels
                )
            if summed_alone:
                dtype = _backend.default_module.dtype("int64")
        dtypes.append(dtype)
    for letter, owners in holders.items():
        if letter in output or len(owners) < 2:
            continue
        first, *others = (dtypes[k] for k in owners)
        for other in others:
            if other != first:
                raise _error(
                    f"operands contracted over subscript {letter} must have the same dtype, "
                    f"expected scalar type {first} but found {other}"
                )
        if first.kind == "b":
            raise NotImplementedError("einsum(): \"bmm\" not implemented for 'Bool'")
    return functools.reduce(promote_numpy, dtypes)
