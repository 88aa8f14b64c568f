"""Module bookkeeping: registration, traversal, modes, state dicts, hooks, containers."""

from collections import OrderedDict

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.BatchNorm1d(4))
        self.head = nn.Linear(4, 2)
        self.register_buffer("step", tg.tensor(0))
        self.register_buffer("cache", tg.zeros(2), persistent=False)
        self.scale = 2.0

    def forward(self, x):
        return self.head(self.body(x)) * self.scale


def test_parameter_is_a_leaf_tensor_sharing_memory():
    data = tg.ones(2, 3)
    param = nn.Parameter(data)
    assert isinstance(param, nn.Parameter) and isinstance(param, tg.Tensor)
    assert param.requires_grad and param.is_leaf
    param.detach().numpy()[0, 0] = 5.0
    assert data[0, 0].item() == 5.0
    assert repr(nn.Parameter(tg.tensor([1.0, 2.0]))) == (
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    )
    assert not nn.Parameter(tg.zeros(1), requires_grad=False).requires_grad
    assert type(param * 2) is tg.Tensor
    with pytest.raises(RuntimeError, match="floating-point"):
        nn.Parameter(tg.tensor([1, 2]))


def test_registration_and_traversal_names_are_pytorchs():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "body.0.weight",
        "body.0.bias",
        "body.2.weight",
        "body.2.bias",
        "head.weight",
        "head.bias",
    ]
    assert [n for n, _ in net.named_buffers()] == [
        "step",
        "cache",
        "body.2.running_mean",
        "body.2.running_var",
        "body.2.num_batches_tracked",
    ]
    assert [n for n, _ in net.named_children()] == ["body", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "body", "body.0", "body.1", "body.2", "head"]
    assert [n for n, _ in net.named_parameters(prefix="net", recurse=False)] == []
    assert sum(p.numel() for p in net.parameters()) == 3 * 4 + 4 + 4 + 4 + 4 * 2 + 2
    assert list(net.state_dict()) == [
        "step",
        "body.0.weight",
        "body.0.bias",
        "body.2.weight",
        "body.2.bias",
        "body.2.running_mean",
        "body.2.running_var",
        "body.2.num_batches_tracked",
        "head.weight",
        "head.bias",
    ]
    assert net.get_parameter("body.0.weight") is net.body[0].weight
    assert net.get_submodule("body.2") is net.body[2]


def test_shared_parameters_and_modules_are_yielded_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert len(list(model.modules())) == 3
    assert len(list(model.named_parameters(remove_duplicate=False))) == 4


def test_attribute_semantics():
    net = Net()
    assert "scale" in net.__dict__ and "head" not in net.__dict__
    net.head = nn.Identity()  # replace a child
    assert isinstance(net._modules["head"], nn.Identity)
    net.extra = nn.Parameter(tg.zeros(1))
    assert "extra" in dict(net.named_parameters())
    net.extra = None
    assert "extra" not in dict(net.named_parameters())
    del net.head
    assert "head" not in net._modules
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'head'"):
        net.head  # noqa: B018
    with pytest.raises(TypeError, match=r"cannot assign 'Tensor' as parameter 'weight'"):
        net.body[0].weight = tg.zeros(4, 3)
    with pytest.raises(TypeError, match="cannot assign 'int' as buffer 'step'"):
        net.step = 3
    with pytest.raises(KeyError, match="attribute 'scale' already exists"):
        net.register_buffer("scale", tg.zeros(1))
    with pytest.raises(KeyError, match='contain ".", got: a.b'):
        net.register_parameter("a.b", None)

    class Forgetful(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(tg.zeros(1))

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Forgetful()
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(tg.zeros(1))


def test_train_eval_zero_grad_requires_grad_apply():
    net = Net()
    assert net.training and net.body[2].training
    assert net.eval() is net and not net.body[2].training
    net.train()
    assert net.body[1].training
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")
    out = net(tg.randn(5, 3)).sum()
    out.backward()
    assert net.head.weight.grad is not None
    net.zero_grad(set_to_none=False)
    assert net.head.weight.grad.numpy().max() == 0
    net.zero_grad()
    assert net.head.weight.grad is None
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    visited = []
    net.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "ReLU", "BatchNorm1d", "Sequential", "Linear", "Net"]


def test_to_double_keeps_parameter_identity_and_integer_buffers():
    net = Net()
    weight = net.head.weight
    net.double()
    assert net.head.weight is weight and weight.dtype == tg.float64
    assert net.body[2].running_mean.dtype == tg.float64
    assert net.body[2].num_batches_tracked.dtype == tg.int64
    assert net(tg.randn(4, 3, dtype=tg.float64)).dtype == tg.float64
    assert net.to(tg.float32).head.bias.dtype == tg.float32
    with pytest.raises(TypeError, match="only accepts floating point"):
        net.to(tg.int64)


def test_state_dict_round_trip_and_detached_values():
    source, target = Net(), Net()
    source(tg.randn(4, 3))  # moves the batch-norm statistics
    state = source.state_dict()
    assert all(not v.requires_grad for v in state.values())
    result = target.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    x = tg.randn(4, 3)
    source.eval()
    target.eval()
    np.testing.assert_array_equal(source(x).detach().numpy(), target(x).detach().numpy())
    assert target.body[2].num_batches_tracked.item() == 1


def test_load_state_dict_reports_missing_unexpected_and_mismatched_keys():
    net = Net()
    state = net.state_dict()
    del state["head.bias"]
    state["head.extra"] = tg.zeros(1)
    with pytest.raises(RuntimeError) as error:
        net.load_state_dict(state)
    message = str(error.value)
    assert message.startswith("Error(s) in loading state_dict for Net:")
    assert 'Missing key(s) in state_dict: "head.bias".' in message
    assert 'Unexpected key(s) in state_dict: "head.extra".' in message
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == ["head.bias"] and result.unexpected_keys == ["head.extra"]
    state = net.state_dict()
    state["head.weight"] = tg.zeros(3, 4)
    with pytest.raises(
        RuntimeError,
        match=r"size mismatch for head.weight: copying a param with "
        r"shape \(3, 4\) from checkpoint, the shape in "
        r"current model is \(2, 4\)",
    ):
        net.load_state_dict(state, strict=False)


def test_load_state_dict_from_torch_module():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    ours = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(
        ours(tg.tensor(x)).detach().numpy(),
        theirs(torch.tensor(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )


def test_forward_hooks_and_graph_scope():
    layer = nn.Linear(2, 2)
    calls = []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = layer.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = layer(tg.ones(3, 2))
    np.testing.assert_allclose(
        out.detach().numpy(), np.broadcast_to(layer.bias.detach().numpy() + 1, (3, 2)), rtol=1e-6
    )
    assert calls == [(3, 2)]
    assert out.grad_fn.next_functions[0][0].scope[0] is layer  # recorded inside layer's scope
    pre.remove()
    with post:
        pass  # leaving the context removes the hook too
    assert not layer._forward_hooks and not layer._forward_pre_hooks


def test_sequential_indexing_slicing_and_mutation():
    a, b, c = nn.Linear(1, 1), nn.ReLU(), nn.Tanh()
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    assert list(seq[1:]._modules) == ["1", "2"]  # a slice keeps the original names
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]
    named = nn.Sequential(OrderedDict([("fc", a), ("act", b)]))
    assert named.fc is a and list(named.state_dict()) == ["fc.weight", "fc.bias"]
    del seq[0]
    assert list(seq._modules) == ["0", "1"] and seq[0] is b
    seq.append(a)
    seq.insert(0, nn.Identity())
    assert [type(m).__name__ for m in seq] == ["Identity", "ReLU", "Tanh", "Linear"]
    assert seq.pop(1) is b and len(seq) == 3
    seq[0] = b
    assert seq[0] is b


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    layers += [nn.Tanh()]
    assert len(layers[1:]) == 4 and list(layers[1:]._modules) == ["0", "1", "2", "3"]
    assert "(0-2): 3 x Linear(in_features=2, out_features=2, bias=True)" in repr(layers)
    table = nn.ModuleDict({"enc": nn.Linear(2, 3)})
    table["dec"] = nn.Linear(3, 2)
    assert list(table) == ["enc", "dec"] and "dec" in table and len(table) == 2
    assert list(table.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    assert table.pop("enc").out_features == 3 and list(table.keys()) == ["dec"]
