"""tensorgrad.utils.data against torch.utils.data: samplers, datasets, DataLoader arguments.

Where the order is deterministic (sequential samplers, batch samplers, iterable datasets) the
batches must equal PyTorch's; where it is random, the statistics must be right; every error
PyTorch raises must be raised here with the same exception type.
"""

import itertools
import math
import tracemalloc
import warnings
from collections import defaultdict, namedtuple

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.utils import data as tgdata

torch = pytest.importorskip("torch")
tdata = torch.utils.data

Point = namedtuple("Point", "x y")


def _plain(batch):
    """A batch as nested Python lists and numbers (Tensors of either library → tolist)."""
    if isinstance(batch, (tg.Tensor, torch.Tensor)):
        return ("tensor", str(batch.dtype).split(".")[-1], batch.tolist())
    if isinstance(batch, dict):
        return {key: _plain(value) for key, value in batch.items()}
    if isinstance(batch, (list, tuple)):
        return (type(batch).__name__, [_plain(item) for item in batch])
    if isinstance(batch, np.ndarray):
        return ("ndarray", batch.tolist())
    return batch


def _quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


def _outcome(function, *args, **kwargs):
    """The result, or the exception type, of a call."""
    try:
        return _quiet(function, *args, **kwargs)
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return type(error)


class Squares:
    """Map-style, not a Dataset subclass (DataLoader takes anything indexable)."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return {"i": i, "square": np.array([i * i], dtype=np.int64)}

    def __len__(self):
        return self.n


def _stream_class(base):
    class Stream(base):
        """0 … n-1, split between workers by get_worker_info like PyTorch's docs example."""

        def __init__(self, n, with_len=True, info=None):
            self.n, self.with_len = n, with_len
            self.info = info if info is not None else tdata.get_worker_info

        def __iter__(self):
            worker = self.info()
            if worker is None:
                return iter(range(self.n))
            return iter(range(worker.id, self.n, worker.num_workers))

        def __len__(self):
            if not self.with_len:
                raise TypeError("no length")
            return self.n

    return Stream


TorchStream = _stream_class(tdata.IterableDataset)
OurStream = _stream_class(tgdata.IterableDataset)


# ----------------------------------------------------------------------------- deterministic
@pytest.mark.parametrize("n", [0, 1, 7, 12])
@pytest.mark.parametrize("batch_size", [1, 3, 5, 12, 20])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_and_loader_order_match_pytorch(n, batch_size, drop_last):
    ours = tgdata.BatchSampler(tgdata.SequentialSampler(range(n)), batch_size, drop_last)
    theirs = tdata.BatchSampler(tdata.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    ours = tgdata.BatchSampler(iter(range(n)), batch_size, drop_last)  # any iterable
    assert list(ours) == list(tdata.BatchSampler(iter(range(n)), batch_size, drop_last))
    ours = tgdata.DataLoader(Squares(n), batch_size=batch_size, drop_last=drop_last)
    theirs = tdata.DataLoader(Squares(n), batch_size=batch_size, drop_last=drop_last)
    assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]
    assert len(ours) == len(theirs)


@pytest.mark.parametrize(
    "options",
    [
        {"batch_size": None},
        {"batch_size": None, "sampler": [3, 1, 2]},
        {"batch_sampler": [[4, 0], [1], [2, 3, 3]]},
        {"batch_size": 2, "sampler": [5, 4, 3, 0, 1]},
        {"batch_size": 4, "collate_fn": lambda samples: [s["i"] for s in samples]},
    ],
    ids=["unbatched", "unbatched sampler", "batch_sampler", "sampler", "collate_fn"],
)
def test_loader_options_give_pytorchs_batches(options):
    ours = tgdata.DataLoader(Squares(6), **options)
    theirs = tdata.DataLoader(Squares(6), **options)
    assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]
    assert len(ours) == len(theirs)


@pytest.mark.parametrize("batch_size", [None, 1, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_iterable_dataset_batches_and_length_match_pytorch(batch_size, drop_last):
    if batch_size is None and drop_last:
        assert _outcome(tgdata.DataLoader, OurStream(10), None, drop_last=True) is ValueError
        return
    ours = tgdata.DataLoader(OurStream(10), batch_size=batch_size, drop_last=drop_last)
    theirs = tdata.DataLoader(TorchStream(10), batch_size=batch_size, drop_last=drop_last)
    assert [_plain(b) for b in ours] == [_plain(b) for b in theirs]
    assert len(ours) == len(theirs)
    assert list(ours) != [] and len(list(ours)) == len(list(ours))  # a new stream each epoch
    no_length = tgdata.DataLoader(OurStream(10, with_len=False), batch_size=batch_size)
    with pytest.raises(TypeError):
        len(no_length)


def test_iterable_dataset_refuses_shuffle_and_samplers_like_pytorch():
    for options in [
        {"shuffle": True},
        {"shuffle": False},
        {"sampler": [0, 1]},
        {"sampler": False},
        {"batch_sampler": [[0]]},
    ]:
        ours = _outcome(tgdata.DataLoader, OurStream(4), **options)
        theirs = _outcome(tdata.DataLoader, TorchStream(4), **options)
        assert (ours if isinstance(ours, type) else "ok") == (
            theirs if isinstance(theirs, type) else "ok"
        ), options
    with pytest.raises(ValueError, match="IterableDataset: expected unspecified shuffle"):
        tgdata.DataLoader(OurStream(4), shuffle=True)


def test_loader_reporting_too_few_batches_warns_once():
    class Liar(tgdata.IterableDataset):
        def __iter__(self):
            return iter(range(5))

        def __len__(self):
            return 2

    loader = tgdata.DataLoader(Liar(), batch_size=1)
    assert len(loader) == 2
    with pytest.warns(UserWarning, match="reported to be 2") as caught:
        assert len(list(loader)) == 5
    assert len(caught) == 1


LOADER_ARGUMENTS = [
    {"sampler": [0, 1], "shuffle": True},
    {"batch_sampler": [[0]], "batch_size": 2},
    {"batch_sampler": [[0]], "shuffle": True},
    {"batch_sampler": [[0]], "sampler": [0]},
    {"batch_sampler": [[0]], "drop_last": True},
    {"batch_sampler": [[0]], "batch_size": None},
    {"batch_size": 0},
    {"batch_size": -1},
    {"batch_size": 1.5},
    {"batch_size": True},
    {"batch_size": None, "drop_last": True},
    {"drop_last": "yes"},
    {"num_workers": -1},
    {"timeout": -1},
    {"prefetch_factor": 2},
    {"persistent_workers": True},
    {"multiprocessing_context": "spawn"},
    {"num_workers": 1, "multiprocessing_context": "no such method"},
    {"num_workers": 1, "multiprocessing_context": 3},
    {"num_workers": 1, "multiprocessing_context": "spawn"},
    {"num_workers": 1, "prefetch_factor": -1},
    {"num_workers": 2, "prefetch_factor": 4, "persistent_workers": True},
    {"pin_memory": True, "pin_memory_device": "cpu", "in_order": False, "timeout": 5},
    {"worker_init_fn": print, "generator": "GENERATOR"},
    {"shuffle": True, "drop_last": True, "batch_size": 3},
]


@pytest.mark.parametrize("options", LOADER_ARGUMENTS, ids=[str(o) for o in LOADER_ARGUMENTS])
def test_loader_arguments_are_checked_as_pytorch_checks_them(options):
    ours, theirs = dict(options), dict(options)
    if options.get("generator") == "GENERATOR":
        ours["generator"], theirs["generator"] = tg.Generator(), torch.Generator()
    ours = _outcome(tgdata.DataLoader, Squares(5), **ours)
    theirs = _outcome(tdata.DataLoader, Squares(5), **theirs)
    if isinstance(theirs, type):
        assert ours is theirs
    else:
        assert not isinstance(ours, type), ours
        for name in ("batch_size", "drop_last", "num_workers", "prefetch_factor", "timeout"):
            assert getattr(ours, name) == getattr(theirs, name), name
        assert len(ours) == len(theirs)


def test_loader_attributes_are_frozen_after_init_like_pytorch():
    for loader in (tgdata.DataLoader(Squares(3)), tdata.DataLoader(Squares(3))):
        for name in ("batch_size", "sampler", "batch_sampler", "drop_last", "dataset"):
            with pytest.raises(ValueError, match=f"{name} attribute should not be set"):
                setattr(loader, name, None)
        loader.collate_fn = list  # others may be set
        assert loader.collate_fn is list


# ----------------------------------------------------------------------------- workers
def test_workers_run_in_the_calling_process_as_one_worker():
    calls = []

    def init(worker_id):
        info = tgdata.get_worker_info()
        calls.append((worker_id, info.id, info.num_workers, info.dataset is dataset))

    dataset = OurStream(9, info=tgdata.get_worker_info)
    with pytest.warns(UserWarning, match="num_workers=3"):
        loader = tgdata.DataLoader(dataset, batch_size=4, num_workers=3, worker_init_fn=init)
    for _ in range(3):
        batches = [b.tolist() for b in loader]
        assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8]]  # each sample exactly once
    assert calls == [(0, 0, 1, True)]  # once, when the first epoch starts
    assert tgdata.get_worker_info() is None
    assert tgdata.get_worker_info() is tdata.get_worker_info()  # both None here
    plain = tgdata.DataLoader(dataset, batch_size=4, worker_init_fn=init)
    assert len(list(plain)) == 3 and len(calls) == 1  # num_workers=0: never called


def test_worker_info_is_seen_only_while_the_dataset_is_read():
    seen = []

    class Probe(tgdata.Dataset):
        def __getitem__(self, i):
            seen.append(tgdata.get_worker_info())
            return i

        def __len__(self):
            return 4

    loader = _quiet(tgdata.DataLoader, Probe(), batch_size=2, num_workers=2)
    for _ in loader:
        assert tgdata.get_worker_info() is None  # the training loop is the main process
    assert [(w.id, w.num_workers) for w in seen] == [(0, 1)] * 4
    assert len({w.seed for w in seen}) == 1


def test_the_number_of_workers_changes_no_batch():
    data = tgdata.TensorDataset(tg.arange(30))

    def epochs(workers):
        loader = _quiet(
            tgdata.DataLoader,
            data,
            batch_size=4,
            shuffle=True,
            num_workers=workers,
            generator=tg.Generator().manual_seed(5),
        )
        return [[b[0].tolist() for b in loader] for _ in range(3)]

    assert epochs(0) == epochs(2) == epochs(4)


# ----------------------------------------------------------------------------- laziness
def test_makemore_infinite_sampler_does_not_allocate():
    data = tgdata.TensorDataset(tg.arange(1000))
    sampler = tgdata.RandomSampler(data, replacement=True, num_samples=10**10)
    loader = tgdata.DataLoader(data, batch_size=32, sampler=sampler)
    theirs = tdata.DataLoader(
        range(1000),
        batch_size=32,
        sampler=tdata.RandomSampler(range(1000), replacement=True, num_samples=10**10),
    )
    assert len(sampler) == 10**10 and len(loader) == len(theirs) == math.ceil(10**10 / 32)
    tracemalloc.start()
    try:
        batches = iter(loader)
        for batch in itertools.islice(batches, 2000):
            assert batch[0].shape == (32,)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4_000_000, f"peak {peak / 1e6:.1f} MB"
    weighted = tgdata.WeightedRandomSampler([1.0, 2.0], num_samples=10**12)
    assert set(itertools.islice(iter(weighted), 10_000)) == {0, 1}
    chained = tgdata.RandomSampler(range(5), num_samples=10**12)  # permutations, chained
    first = list(itertools.islice(iter(chained), 15))
    assert [sorted(first[i : i + 5]) for i in (0, 5, 10)] == [list(range(5))] * 3


# ----------------------------------------------------------------------------- statistics
def _chi_square(counts, expected):
    return float(np.sum((np.asarray(counts) - expected) ** 2 / expected))


def test_random_sampler_is_uniform_and_reproducible():
    n = 10
    with_replacement = tgdata.RandomSampler(
        range(n), replacement=True, num_samples=100_000, generator=tg.Generator().manual_seed(0)
    )
    draws = list(with_replacement)
    assert len(draws) == 100_000 and set(draws) == set(range(n))
    assert _chi_square(np.bincount(draws, minlength=n), 10_000) < 40  # df 9: p < 1e-5
    assert draws == list(
        tgdata.RandomSampler(
            range(n), replacement=True, num_samples=100_000, generator=tg.Generator().manual_seed(0)
        )
    )
    sampler = tgdata.RandomSampler(range(n), generator=tg.Generator().manual_seed(1))
    epochs = [list(sampler) for _ in range(3000)]
    assert all(sorted(epoch) == list(range(n)) for epoch in epochs)
    first = np.bincount([epoch[0] for epoch in epochs], minlength=n)
    assert _chi_square(first, 300) < 40
    partial = tgdata.RandomSampler(range(n), num_samples=25, generator=tg.Generator())
    order = list(partial)
    assert len(order) == 25 and sorted(order[:10]) == sorted(order[10:20]) == list(range(n))
    assert len(set(order[20:])) == 5


def test_random_sampler_fixes_an_epoch_when_it_starts():
    """With no generator PyTorch seeds a private one from the global generator at the start
    of each epoch: random numbers drawn during the epoch do not change its order."""
    sampler = tgdata.RandomSampler(range(20))
    tg.manual_seed(11)
    quiet = list(sampler)
    tg.manual_seed(11)
    busy = []
    for index in sampler:
        tg.rand(3)  # e.g. dropout in the training step
        busy.append(index)
    assert busy == quiet
    tg.manual_seed(11)
    assert list(sampler) == quiet and list(sampler) != quiet


def test_subset_random_sampler():
    indices = [10, 20, 30, 40]
    sampler = tgdata.SubsetRandomSampler(indices, generator=tg.Generator().manual_seed(3))
    epochs = [list(sampler) for _ in range(2000)]
    assert all(sorted(epoch) == indices for epoch in epochs) and len(sampler) == 4
    counts = [sum(epoch[0] == i for epoch in epochs) for i in indices]
    assert _chi_square(counts, 500) < 30
    torch_sampler = tdata.SubsetRandomSampler(indices)
    assert sorted(torch_sampler) == sorted(tgdata.SubsetRandomSampler(indices))


def test_weighted_random_sampler_frequencies():
    weights = [0.1, 0.0, 0.6, 0.3, 1.0]
    total = sum(weights)
    ours = list(tgdata.WeightedRandomSampler(weights, 50_000, generator=tg.Generator()))
    theirs = list(tdata.WeightedRandomSampler(weights, 50_000))
    for draws in (ours, theirs):
        counts = np.bincount(draws, minlength=5)
        expected = np.array(weights) / total * 50_000
        assert counts[1] == 0
        assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected + 1))
    no_repeat = tgdata.WeightedRandomSampler(weights, 4, replacement=False)
    firsts = []
    for _ in range(4000):
        drawn = list(no_repeat)
        assert len(set(drawn)) == 4 and 1 not in drawn
        firsts.append(drawn[0])
    expected = np.array([w for w in weights if w]) / total * 4000
    counts = np.bincount(firsts, minlength=5)[[0, 2, 3, 4]]
    assert np.all(np.abs(counts - expected) < 5 * np.sqrt(expected))


SAMPLER_ERRORS = [
    ("RandomSampler", (range(3),), {"replacement": 1}),
    ("RandomSampler", (range(3),), {"num_samples": 0}),
    ("RandomSampler", (range(3),), {"num_samples": -2}),
    ("RandomSampler", (range(3),), {"num_samples": 1.5}),
    ("RandomSampler", (range(0),), {}),
    ("WeightedRandomSampler", ([1.0, 2.0], 0), {}),
    ("WeightedRandomSampler", ([1.0, 2.0], True), {}),
    ("WeightedRandomSampler", ([1.0, 2.0], 1.5), {}),
    ("WeightedRandomSampler", ([1.0, 2.0], 2), {"replacement": "no"}),
    ("WeightedRandomSampler", ([[1.0, 2.0]], 2), {}),
    ("BatchSampler", (range(3), 0, False), {}),
    ("BatchSampler", (range(3), True, False), {}),
    ("BatchSampler", (range(3), 2, 1), {}),
]


@pytest.mark.parametrize("name, args, kwargs", SAMPLER_ERRORS, ids=[str(e) for e in SAMPLER_ERRORS])
def test_sampler_argument_errors_match_pytorch(name, args, kwargs):
    theirs = _outcome(getattr(tdata, name), *args, **kwargs)
    ours = _outcome(getattr(tgdata, name), *args, **kwargs)
    assert isinstance(theirs, type) and ours is theirs


@pytest.mark.parametrize(
    "weights, num_samples, replacement",
    [
        ([1.0, -1.0], 2, True),
        ([0.0, 0.0], 2, True),
        ([1.0, math.inf], 1, True),
        ([1.0, 1.0], 3, False),
    ],
)
def test_weighted_sampler_distribution_errors_come_at_iteration_like_pytorch(
    weights, num_samples, replacement
):
    ours = tgdata.WeightedRandomSampler(weights, num_samples, replacement)
    theirs = tdata.WeightedRandomSampler(weights, num_samples, replacement)
    assert _outcome(list, ours) is _outcome(list, theirs) is RuntimeError


# ----------------------------------------------------------------------------- datasets
def test_concat_stack_chain_and_addition_match_pytorch():
    a, b = list(range(3)), [10, 11]
    ours, theirs = tgdata.ConcatDataset([a, b]), tdata.ConcatDataset([a, b])
    assert len(ours) == len(theirs) == 5 and ours.cumulative_sizes == theirs.cumulative_sizes
    for index in [0, 2, 3, 4, -1, -5, 5, -6]:
        assert _plain(_outcome(ours.__getitem__, index)) == _plain(
            _outcome(theirs.__getitem__, index)
        ), index
    assert list(ours) == list(theirs) == [0, 1, 2, 10, 11]
    for bad in ([], [OurStream(2)]):
        assert _outcome(tgdata.ConcatDataset, bad) is AssertionError
    assert _outcome(tdata.ConcatDataset, []) is AssertionError

    x, y = tgdata.TensorDataset(tg.arange(3)), tgdata.TensorDataset(tg.arange(3) * 2)
    assert isinstance(x + y, tgdata.ConcatDataset) and len(x + y) == 6
    stacked = tgdata.StackDataset(x, y)
    assert [t.item() for pair in stacked[2] for t in pair] == [2, 4] and len(stacked) == 3
    named = tgdata.StackDataset(first=a, second=[5, 6, 7])
    assert named[1] == tdata.StackDataset(first=a, second=[5, 6, 7])[1] == {"first": 1, "second": 6}
    assert named.__getitems__([0, 2]) == [{"first": 0, "second": 5}, {"first": 2, "second": 7}]
    batches = [_plain(batch) for batch in tgdata.DataLoader(named, batch_size=2)]
    assert batches == [_plain(batch) for batch in tdata.DataLoader(named, batch_size=2)]
    for args, kwargs in [((a,), {"b": b}), ((), {}), ((a, b), {})]:
        assert _outcome(tgdata.StackDataset, *args, **kwargs) is ValueError
        assert _outcome(tdata.StackDataset, *args, **kwargs) is ValueError

    chain = OurStream(3) + OurStream(2)
    assert isinstance(chain, tgdata.ChainDataset) and list(chain) == [0, 1, 2, 0, 1]
    assert len(chain) == 5
    assert _outcome(list, tgdata.ChainDataset([a])) is AssertionError
    assert _outcome(list, tdata.ChainDataset([a])) is AssertionError


def test_base_classes_behave_like_pytorchs():
    assert _outcome(tgdata.Dataset().__getitem__, 0) is NotImplementedError
    assert _outcome(len, tgdata.Dataset()) is _outcome(len, tdata.Dataset()) is TypeError
    assert _outcome(iter, tgdata.Sampler()) is NotImplementedError
    for name in ("Dataset", "IterableDataset", "Sampler", "DataLoader"):
        assert getattr(tgdata, name)[int] is not None  # Generic, as torch's are

    class OnlyGetitem(tgdata.Subset):
        def __getitem__(self, index):
            return -1

    assert _outcome(OnlyGetitem, [1, 2], [0]) is NotImplementedError
    assert _outcome(tgdata.TensorDataset, tg.tensor(1.0)) is IndexError
    assert _outcome(tdata.TensorDataset, torch.tensor(1.0)) is IndexError
    assert _outcome(tdata.TensorDataset, torch.ones(2), torch.ones(3)) is AssertionError


CONVERT = [
    np.array([1, 2]),
    np.float32(2.5),
    np.array(["a", "b"]),
    np.str_("s"),
    3,
    "text",
    [np.zeros(2), 1],
    (np.ones(1), "x"),
    {"a": np.arange(3), "b": [np.int64(4)]},
    Point(np.array(1.5), 2),
    defaultdict(list, {"k": np.ones(2)}),
]


@pytest.mark.parametrize("value", CONVERT, ids=[type(v).__name__ for v in CONVERT])
def test_default_convert_matches_pytorch(value):
    ours, theirs = tgdata.default_convert(value), tdata.default_convert(value)
    tensors = (tg.Tensor, torch.Tensor)
    assert (
        isinstance(ours, tg.Tensor) if isinstance(theirs, tensors) else type(ours) is type(theirs)
    )
    assert _plain(ours) == _plain(theirs)


def test_default_collate_keeps_mapping_types_like_pytorch():
    samples = [defaultdict(list, {"a": 1}), defaultdict(list, {"a": 2})]
    ours, theirs = tgdata.default_collate(samples), tdata.default_collate(samples)
    assert type(ours) is type(theirs) is defaultdict and ours.default_factory is list
    assert _plain(dict(ours)) == _plain(dict(theirs))
