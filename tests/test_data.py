"""tensorgrad.utils.data: collation like PyTorch's, epochs, shuffling, splits."""

from collections import Counter, OrderedDict, namedtuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tensorgrad as tg
from tensorgrad.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)

Point = namedtuple("Point", "x y")


class Squares(Dataset):
    """A plain map-style dataset: sample i is (i, i * i as a float, a 2-vector)."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return i, float(i * i), np.full(2, i, dtype=np.float32)

    def __len__(self):
        return self.n


BATCHES = {
    "python floats": [1.0, 2.5],
    "python ints": [1, 2],
    "python bools": [True, False],
    "numpy float32 scalars": [np.float32(1), np.float32(2)],
    "numpy int32 scalars": [np.int32(1), np.int32(2)],
    "numpy 0-d arrays": [np.array(1.5), np.array(2.5)],
    "float32 arrays": [np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)],
    "uint8 arrays": [np.zeros(4, np.uint8), np.ones(4, np.uint8)],
    "tensors": "tensors",
    "tuples": [(1, 2.0, np.zeros(2)), (3, 4.0, np.ones(2))],
    "lists": [[1, 2], [3, 4]],
    "dicts": [{"a": 1, "b": np.zeros(2)}, {"a": 2, "b": np.ones(2)}],
    "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
    "strings": [("x", 1), ("y", 2)],
}


def _flatten(batch):
    """(type name, shape, dtype name) of every leaf of a collated batch, in order."""
    if isinstance(batch, dict):
        return [leaf for key in batch for leaf in _flatten(batch[key])]
    if isinstance(batch, (list, tuple)) and not isinstance(batch[0], str):
        return [type(batch).__name__] + [leaf for item in batch for leaf in _flatten(item)]
    if isinstance(batch, (list, tuple)):
        return [(type(batch).__name__, "of str", tuple(batch))]
    return [("tensor", tuple(batch.shape), str(batch.dtype).split(".")[-1], batch.tolist())]


@pytest.mark.parametrize("name", list(BATCHES))
def test_default_collate_matches_pytorch(name):
    torch = pytest.importorskip("torch")
    batch = BATCHES[name]
    if batch == "tensors":
        ours = default_collate([tg.zeros(2, 3), tg.ones(2, 3)])
        theirs = torch.utils.data.default_collate([torch.zeros(2, 3), torch.ones(2, 3)])
    else:
        ours = default_collate(batch)
        theirs = torch.utils.data.default_collate(batch)
    if not isinstance(ours, tg.Tensor):
        assert type(ours) is type(theirs)
    assert _flatten(ours) == _flatten(theirs)


def test_default_collate_dtypes_without_torch():
    assert default_collate([1.0, 2.0]).dtype == tg.float64  # PyTorch's choice, not the default
    assert default_collate([1, 2]).dtype == tg.int64
    assert default_collate([True, False]).dtype == tg.bool
    assert default_collate([np.float32(1.0)]).dtype == tg.float32
    mapping = default_collate([OrderedDict(a=1.0), OrderedDict(a=2.0)])
    assert type(mapping) is OrderedDict and mapping["a"].tolist() == [1.0, 2.0]
    point = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(point, Point) and point.x.tolist() == [1, 3]


def test_default_collate_keeps_the_graph():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    batch = default_collate([a, a * 3])
    batch.sum().backward()
    assert batch.shape == (2, 2) and a.grad.tolist() == [4.0, 4.0]


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match=r"equal size.*\(2,\) at entry 0 and \(3,\) at entry 1"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(RuntimeError, match="stack"):
        default_collate([tg.zeros(2), tg.zeros(3)])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])


@given(
    n=st.integers(1, 40),
    batch_size=st.integers(1, 12),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_epoch_visits_every_sample_once(n, batch_size, shuffle, drop_last, seed):
    data = TensorDataset(tg.arange(n), tg.arange(n) * 10)
    loader = DataLoader(
        data,
        batch_size=batch_size,
        shuffle=shuffle,
        drop_last=drop_last,
        generator=tg.Generator().manual_seed(seed),
    )
    expected_batches = n // batch_size if drop_last else -(-n // batch_size)
    assert len(loader) == expected_batches
    for _ in range(2):
        batches = list(loader)
        assert len(batches) == expected_batches
        seen = [i for x, y in batches for i in x.tolist()]
        assert all((y.numpy() == x.numpy() * 10).all() for x, y in batches)
        assert all(len(x) == batch_size for x, _ in batches[: n // batch_size])
        if drop_last:
            assert len(seen) == len(set(seen)) == (n // batch_size) * batch_size
        else:
            assert sorted(seen) == list(range(n))
        if not shuffle:
            assert seen == list(range(len(seen)))


def test_shuffle_is_reproducible_and_differs_between_epochs():
    data = TensorDataset(tg.arange(50))

    def epochs(generator):
        loader = DataLoader(data, batch_size=8, shuffle=True, generator=generator)
        return [[i for (x,) in loader for i in x.tolist()] for _ in range(3)]

    first = epochs(tg.Generator().manual_seed(7))
    assert first == epochs(tg.Generator().manual_seed(7))
    assert first != epochs(tg.Generator().manual_seed(8))
    assert first[0] != first[1] and sorted(first[0]) == sorted(first[1]) == list(range(50))
    tg.manual_seed(3)  # no generator: the global one
    global_order = epochs(None)
    tg.manual_seed(3)
    assert epochs(None) == global_order


def test_generic_dataset_and_fast_path_give_the_same_batches():
    n = 13
    squares = Squares(n)
    table = TensorDataset(
        tg.arange(n),
        tg.tensor([float(i * i) for i in range(n)], dtype=tg.float64),
        tg.tensor(np.repeat(np.arange(n, dtype=np.float32)[:, None], 2, axis=1)),
    )
    for dataset in (squares, table):
        batches = list(DataLoader(dataset, batch_size=5))
        assert [len(b[0]) for b in batches] == [5, 5, 3]
        assert [b[2].dtype for b in batches] == [tg.float32] * 3
        assert batches[1][1].dtype == tg.float64 and batches[1][1].tolist() == [25, 36, 49, 64, 81]
        assert batches[2][2].tolist() == [[10, 10], [11, 11], [12, 12]]


def test_collate_fn_sampler_and_batch_sampler():
    data = Squares(6)
    loader = DataLoader(data, batch_size=4, collate_fn=lambda samples: [s[0] for s in samples])
    assert list(loader) == [[0, 1, 2, 3], [4, 5]]
    loader = DataLoader(data, batch_size=2, sampler=[5, 3, 1])
    assert [b[0].tolist() for b in loader] == [[5, 3], [1]]
    loader = DataLoader(data, batch_sampler=[[0, 5], [2]])
    assert [b[0].tolist() for b in loader] == [[0, 5], [2]] and len(loader) == 2
    sampler = RandomSampler(data, replacement=True, num_samples=20, generator=tg.Generator())
    assert len(list(sampler)) == 20 and set(sampler) <= set(range(6))
    assert list(BatchSampler(range(5), 2, drop_last=True)) == [[0, 1], [2, 3]]


def test_loader_errors():
    data = Squares(4)
    with pytest.raises(ValueError, match=r"num_workers option should be non-negative \(got -1\)"):
        DataLoader(data, num_workers=-1)
    with pytest.raises(TypeError, match="unexpected keyword argument"):
        DataLoader(data, workers=2)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        DataLoader(data, sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        DataLoader(data, batch_size=2, batch_sampler=[[0]])
    with pytest.raises(ValueError, match="batch_size should be a positive integer.*0"):
        DataLoader(data, batch_size=0)


def test_tensor_dataset_and_subset():
    x, y = tg.arange(12.0).reshape(6, 2), tg.arange(6)
    data = TensorDataset(x, y)
    assert len(data) == 6
    sample_x, sample_y = data[4]
    assert sample_x.tolist() == [8.0, 9.0] and sample_y.item() == 4
    subset = Subset(data, [5, 0, 3])
    assert len(subset) == 3 and subset[0][1].item() == 5
    nested = Subset(subset, [2, 0])
    batches = list(DataLoader(nested, batch_size=2))
    assert batches[0][1].tolist() == [3, 5] and batches[0][0].tolist() == [[6, 7], [10, 11]]
    with pytest.raises(AssertionError, match=r"Size mismatch between tensors.*\(6, 5\)"):
        TensorDataset(x, tg.arange(5))
    with pytest.raises(TypeError, match="expected Tensors, argument 1 is ndarray"):
        TensorDataset(x, np.arange(6))


def test_random_split_lengths_fractions_and_errors():
    data = TensorDataset(tg.arange(10))
    parts = random_split(data, [3, 7], generator=tg.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    again = random_split(data, [3, 7], generator=tg.Generator().manual_seed(0))
    assert again[0].indices == parts[0].indices
    # PyTorch: floor(10 * f) = [3, 3, 3], the remainder goes to the first split
    assert [len(p) for p in random_split(data, [0.34, 0.33, 0.33])] == [4, 3, 3]
    assert Counter(len(p) for p in random_split(data, [0.5, 0.5])) == {5: 2}
    with pytest.raises(ValueError, match=r"sum of input lengths \(9\).*\(10\)"):
        random_split(data, [4, 5])
    with pytest.raises(ValueError, match="fraction at index 1 is not between 0 and 1"):
        random_split(data, [0.2, 1.2, -0.4])


def test_random_split_fraction_lengths_match_pytorch():
    torch = pytest.importorskip("torch")
    for n, fractions in [(10, [0.34, 0.33, 0.33]), (7, [0.5, 0.5]), (101, [0.8, 0.1, 0.1])]:
        ours = [len(p) for p in random_split(list(range(n)), fractions)]
        theirs = [len(p) for p in torch.utils.data.random_split(list(range(n)), fractions)]
        assert ours == theirs
