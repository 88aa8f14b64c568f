"""``tensorgrad.distributions`` against ``torch.distributions``: densities, entropies, moments
and KL divergences with their gradients exactly; samples statistically (tensorgrad's generator
draws other numbers than PyTorch's); validation errors by exception type and message; and
pytorch/examples' REINFORCE pattern end to end."""

import math

import numpy as np
import pytest

import tensorgrad as tg
import tensorgrad.distributions as D
from tensorgrad import nn
from tensorgrad.nn import functional as F
from tensorgrad.testing import assert_matches_torch

torch = pytest.importorskip("torch")
TD = torch.distributions

RNG = np.random.default_rng(0)
LOC, SCALE = RNG.standard_normal((3, 2)), RNG.uniform(0.5, 2, (3, 2))
X = RNG.standard_normal((4, 3, 2))
PROBS, LOGITS = RNG.uniform(0.1, 1, (3, 4)), RNG.standard_normal((3, 4))
INDICES = RNG.integers(0, 4, (5, 3))
P01, COINS = RNG.uniform(0.05, 0.95, 3), RNG.integers(0, 2, (2, 3)).astype(np.float64)
LOW, HIGH, INSIDE = RNG.uniform(-2, -1, 3), RNG.uniform(1, 2, 3), RNG.uniform(-0.9, 0.9, (2, 3))

# name: (call(lib, dist, *tensors), arrays); every floating array is a leaf differentiated
CASES = {
    "normal_log_prob": (lambda L, d, m, s, x: d.Normal(m, s).log_prob(x), LOC, SCALE, X),
    "normal_entropy": (lambda L, d, m, s: d.Normal(m, s).entropy(), LOC, SCALE),
    "normal_cdf": (lambda L, d, m, s, x: d.Normal(m, s).cdf(x), LOC, SCALE, X),
    "normal_icdf": (lambda L, d, m, s, p: d.Normal(m, s).icdf(p), LOC, SCALE, P01[:2].copy()),
    "normal_moments": (
        lambda L, d, m, s: (d.Normal(m, s).mean, d.Normal(m, s).stddev, d.Normal(m, s).variance),
        LOC,
        SCALE,
    ),
    "categorical_probs_log_prob": (
        lambda L, d, p, i: d.Categorical(probs=p).log_prob(i),
        PROBS,
        INDICES,
    ),
    "categorical_logits_log_prob": (
        lambda L, d, p, i: d.Categorical(logits=p).log_prob(i),
        LOGITS,
        INDICES,
    ),
    "categorical_probs_entropy": (lambda L, d, p: d.Categorical(probs=p).entropy(), PROBS),
    "categorical_logits_entropy": (lambda L, d, p: d.Categorical(logits=p).entropy(), LOGITS),
    "categorical_derived": (
        lambda L, d, p, q: (d.Categorical(probs=p).logits, d.Categorical(logits=q).probs),
        PROBS,
        LOGITS,
    ),
    "bernoulli_probs_log_prob": (lambda L, d, p, x: d.Bernoulli(probs=p).log_prob(x), P01, COINS),
    "bernoulli_logits_log_prob": (
        lambda L, d, p, x: d.Bernoulli(logits=p).log_prob(x),
        LOGITS[0, :3].copy(),
        COINS,
    ),
    "bernoulli_probs_entropy": (lambda L, d, p: d.Bernoulli(probs=p).entropy(), P01),
    "bernoulli_logits_entropy": (lambda L, d, p: d.Bernoulli(logits=p).entropy(), LOGITS),
    "bernoulli_moments": (
        lambda L, d, p: (d.Bernoulli(logits=p).mean, d.Bernoulli(logits=p).variance),
        LOGITS,
    ),
    "uniform_log_prob": (lambda L, d, a, b, x: d.Uniform(a, b).log_prob(x), LOW, HIGH, INSIDE),
    "uniform_entropy": (lambda L, d, a, b: d.Uniform(a, b).entropy(), LOW, HIGH),
    "uniform_cdf": (lambda L, d, a, b, x: d.Uniform(a, b).cdf(x), LOW, HIGH, INSIDE),
    "uniform_moments": (
        lambda L, d, a, b: (d.Uniform(a, b).mean, d.Uniform(a, b).stddev, d.Uniform(a, b).variance),
        LOW,
        HIGH,
    ),
    "kl_normal": (
        lambda L, d, m, s, n, t: d.kl_divergence(d.Normal(m, s), d.Normal(n, t)),
        LOC,
        SCALE,
        LOC[::-1].copy(),
        SCALE[::-1].copy(),
    ),
    "kl_categorical": (
        lambda L, d, p, q: d.kl_divergence(d.Categorical(probs=p), d.Categorical(logits=q)),
        PROBS,
        LOGITS,
    ),
    "kl_bernoulli": (
        lambda L, d, p, q: d.kl_divergence(d.Bernoulli(probs=p), d.Bernoulli(logits=q)),
        P01,
        LOGITS[0, :3].copy(),
    ),
    "kl_uniform": (
        lambda L, d, a, b: d.kl_divergence(d.Uniform(a, b), d.Uniform(a - 1, b + 1)),
        LOW,
        HIGH,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch_with_gradients(name):
    call, *arrays = CASES[name]
    assert_matches_torch(lambda *t: call(tg, D, *t), lambda *t: call(torch, TD, *t), *arrays)


@pytest.mark.parametrize(
    "call",
    [
        lambda L, d: d.Categorical(logits=L.tensor([0.0, -math.inf])).entropy(),
        lambda L, d: d.Categorical(probs=L.tensor([0.5, 0.5, 0.0])).log_prob(L.tensor(2)),
        lambda L, d: d.Bernoulli(L.tensor([0.0, 1.0])).entropy(),
        lambda L, d: d.Bernoulli(L.tensor([0.0, 1.0])).log_prob(L.tensor([0.0, 1.0])),
        lambda L, d: d.Bernoulli(logits=L.tensor([-30.0, 0.0, 30.0])).entropy(),
        lambda L, d: d.Uniform(L.zeros(2), 1.0).log_prob(L.tensor([0.5, 1.0])),
        lambda L, d: d.Normal(0.0, 1.0, validate_args=False).log_prob(1.0),
        lambda L, d: d.Normal(0.0, 1.0).log_prob(L.tensor([1, 2])),
        lambda L, d: d.Normal(0.0, 2.0).perplexity(),
        lambda L, d: d.Categorical(L.ones(3)).mean,
        lambda L, d: d.Uniform(0.0, 1.0).mode,
        lambda L, d: d.Bernoulli(L.tensor([0.2, 0.5, 0.7])).mode,
        lambda L, d: d.Categorical(L.tensor([[0.1, 0.9], [0.8, 0.2]])).mode,
        lambda L, d: d.Categorical(L.tensor([0.2, 0.8])).enumerate_support(),
        lambda L, d: d.Bernoulli(L.tensor([0.2, 0.8])).enumerate_support(),
        lambda L, d: d.kl_divergence(d.Bernoulli(0.3), d.Bernoulli(L.tensor([0.0, 0.5, 1.0]))),
        lambda L, d: d.kl_divergence(
            d.Categorical(L.tensor([0.5, 0.5, 0.0])), d.Categorical(L.tensor([0.2, 0.0, 0.8]))
        ),
        lambda L, d: d.kl_divergence(d.Uniform(0.0, 1.0), d.Uniform(L.tensor([-1.0, 0.5]), 2.0)),
    ],
)
def test_edge_values_match_torch(call):
    ours, theirs = call(tg, D), call(torch, TD)
    assert str(ours.dtype).rpartition(".")[2] == str(theirs.dtype).rpartition(".")[2]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_shapes_dtypes_and_expand_match_torch():
    for lib, d in ((tg, D), (torch, TD)):
        categorical = d.Categorical(lib.ones(2, 3))
        assert tuple(categorical.batch_shape) == (2,) and tuple(categorical.event_shape) == ()
        assert tuple(categorical.sample((4,)).shape) == (4, 2)
        assert str(categorical.sample().dtype).endswith("int64")
        assert str(d.Bernoulli(lib.ones(2) * 0.5).sample().dtype).endswith("float32")
        assert tuple(d.Normal(0.0, 1.0).expand((2, 3)).batch_shape) == (2, 3)
        expanded = d.Categorical(logits=lib.zeros(2, 3)).expand((4, 2))
        assert tuple(expanded.probs.shape) == (4, 2, 3)
        assert tuple(d.Normal(lib.zeros(2), 1.0).log_prob(lib.zeros(3, 1)).shape) == (3, 2)
        assert tuple(d.Uniform(lib.zeros(2), 1.0).rsample((5,)).shape) == (5, 2)
        assert str(d.Normal(1, 2).loc.dtype).endswith("float32")
        assert str(d.Normal(lib.zeros(1, dtype=lib.float64), 1.0).scale.dtype).endswith("float64")
    assert repr(D.Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    assert repr(D.Bernoulli(0.3)) == repr(TD.Bernoulli(0.3))
    assert repr(D.Normal(0.0, 1.0).arg_constraints) == repr(TD.Normal(0.0, 1.0).arg_constraints)
    for ours, theirs in ((D.Categorical(tg.ones(3)), TD.Categorical(torch.ones(3))),):
        assert repr(ours.support) == repr(theirs.support)
    with pytest.raises(RuntimeError):
        D.Normal(tg.zeros(2), 1.0).expand((3,))


# ----------------------------------------------------------------------------- sampling
def test_rsample_is_differentiable_like_torchs_reparameterisation():
    """Normal: loc + ε·scale; Uniform: low + u·(high - low). The gradients are PyTorch's
    reparameterisation for the same noise, which is recovered from the sample."""
    tg.manual_seed(1)
    weights = RNG.standard_normal((6, 2))
    first, second = LOC[0], SCALE[0]
    for kind in ("normal", "uniform"):
        a, b = tg.tensor(first, requires_grad=True), tg.tensor(second, requires_grad=True)
        ta, tb = torch.tensor(first, requires_grad=True), torch.tensor(second, requires_grad=True)
        if kind == "normal":
            sample = D.Normal(a, b).rsample((6,))
            noise = (sample.detach().numpy() - first) / second
            reference = ta + torch.tensor(noise) * tb
        else:
            sample = D.Uniform(a, a + b).rsample((6,))
            noise = (sample.detach().numpy() - first) / second
            assert ((noise >= 0) & (noise < 1)).all()
            reference = ta + torch.tensor(noise) * ((ta + tb) - ta)
        (sample * tg.tensor(weights)).sum().backward()
        (reference * torch.tensor(weights)).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-9)
        np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-9)


def test_sample_is_outside_the_graph_and_reproducible():
    loc = tg.zeros(3, requires_grad=True)
    tg.manual_seed(7)
    first = D.Normal(loc, 1.0).sample((2,))
    tg.manual_seed(7)
    second = D.Normal(loc, 1.0).sample((2,))
    assert not first.requires_grad and np.array_equal(first.numpy(), second.numpy())
    tg.manual_seed(7)
    again = D.Categorical(tg.ones(5)).sample((10,))
    tg.manual_seed(7)
    assert again.tolist() == D.Categorical(tg.ones(5)).sample((10,)).tolist()


def test_samples_have_the_right_statistics():
    tg.manual_seed(0)
    n = 40_000
    normal = D.Normal(tg.tensor([1.0, -2.0]), tg.tensor([0.5, 3.0])).sample((n,)).numpy()
    np.testing.assert_allclose(normal.mean(0), [1.0, -2.0], atol=4 * 3.0 / math.sqrt(n))
    np.testing.assert_allclose(normal.std(0), [0.5, 3.0], rtol=0.03)
    uniform = D.Uniform(tg.tensor([-1.0, 2.0]), tg.tensor([1.0, 2.5])).sample((n,)).numpy()
    assert (uniform >= [-1.0, 2.0]).all() and (uniform < [1.0, 2.5]).all()
    np.testing.assert_allclose(uniform.mean(0), [0.0, 2.25], atol=0.02)
    coins = D.Bernoulli(logits=tg.tensor([-1.0, 2.0])).sample((n,)).numpy()
    assert set(np.unique(coins)) <= {0.0, 1.0}
    expected = 1 / (1 + np.exp([1.0, -2.0]))
    np.testing.assert_allclose(coins.mean(0), expected, atol=4 * 0.5 / math.sqrt(n))
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]])
    draws = D.Categorical(tg.tensor(probs * 3)).sample((n,)).numpy()  # unnormalised on purpose
    for row in range(2):
        counts = np.bincount(draws[:, row], minlength=3) / n
        np.testing.assert_allclose(counts, probs[row], atol=4 * 0.5 / math.sqrt(n))


# ----------------------------------------------------------------------------- validation
BAD = [
    lambda L, d: d.Normal(0.0, -1.0),
    lambda L, d: d.Normal(L.tensor(math.nan), 1.0),
    lambda L, d: d.Normal(0.0, 1.0).log_prob(1.0),
    lambda L, d: d.Normal(L.zeros(2), 1.0).log_prob(L.zeros(3)),
    lambda L, d: d.Normal(L.zeros(2), L.ones(3)),
    lambda L, d: d.Normal("a", 1.0),
    lambda L, d: d.Normal(0.0, 1.0).sample(3),
    lambda L, d: d.Uniform(1.0, 0.0),
    lambda L, d: d.Uniform(0.0, 1.0).log_prob(L.tensor(2.0)),
    lambda L, d: d.Bernoulli(1.5),
    lambda L, d: d.Bernoulli(),
    lambda L, d: d.Bernoulli(0.5, logits=0.0),
    lambda L, d: d.Bernoulli(0.5).log_prob(L.tensor(0.5)),
    lambda L, d: d.Categorical(L.tensor([1.0, -1.0])),
    lambda L, d: d.Categorical(L.tensor(1.0)),
    lambda L, d: d.Categorical(logits=L.tensor(1.0)),
    lambda L, d: d.Categorical(L.ones(3)).log_prob(L.tensor(3)),
    lambda L, d: d.Categorical(L.ones(3)).log_prob(L.tensor(1.5)),
    lambda L, d: d.kl_divergence(d.Bernoulli(0.5), d.Normal(0.0, 1.0)),
    lambda L, d: d.Distribution.set_default_validate_args("yes"),
]


@pytest.mark.parametrize("call", BAD)
def test_invalid_arguments_raise_torchs_exception_types(call):
    with pytest.raises(Exception) as expected:
        call(torch, TD)
    with pytest.raises(expected.type):
        call(tg, D)


def test_validation_messages_name_the_parameter_and_constraint():
    with pytest.raises(ValueError, match=r"parameter scale .* GreaterThan\(lower_bound=0.0\)"):
        D.Normal(0.0, -1.0)
    with pytest.raises(ValueError, match=r"support \(Boolean\(\)\) of the distribution Bernoulli"):
        D.Bernoulli(0.5).log_prob(tg.tensor(0.5))
    D.Normal(0.0, -1.0, validate_args=False)  # accepted when asked not to check
    D.Distribution.set_default_validate_args(False)
    try:
        D.Bernoulli(1.5)
    finally:
        D.Distribution.set_default_validate_args(True)


def test_register_kl_takes_the_most_specific_pair():
    class Wide(D.Normal):
        pass

    @D.register_kl(Wide, D.Normal)
    def _kl_wide(p, q):
        return tg.tensor(-1.0)

    assert float(D.kl_divergence(Wide(0.0, 1.0), D.Normal(0.0, 1.0))) == -1.0
    assert float(D.kl_divergence(D.Normal(0.0, 1.0), Wide(0.0, 1.0))) == 0.0
    with pytest.raises(TypeError):
        D.register_kl(int, D.Normal)


# ----------------------------------------------------------------------------- REINFORCE
class Policy(nn.Module):
    """pytorch/examples' reinforcement_learning/reinforce.py policy, smaller."""

    def __init__(self):
        super().__init__()
        self.affine1 = nn.Linear(2, 16)
        self.affine2 = nn.Linear(16, 2)

    def forward(self, x):
        return F.softmax(self.affine2(F.relu(self.affine1(x))), dim=1)


def test_reinforce_pattern_learns_a_bandit_and_matches_torch_gradients():
    """select_action / finish_episode as in reinforce.py: Categorical(probs), m.sample(),
    m.log_prob(action), -log_prob * return summed with cat, backward, Adam."""
    tg.manual_seed(0)
    policy = Policy()
    optimizer = tg.optim.Adam(policy.parameters(), lr=1e-2)
    states = np.eye(2, dtype=np.float32)
    rng = np.random.default_rng(0)

    def select_action(state, saved):
        probs = policy(tg.from_numpy(state).float().unsqueeze(0))
        m = D.Categorical(probs)
        action = m.sample()
        saved.append(m.log_prob(action))
        return action.item()

    for _ in range(60):  # the right arm is the one the state points at
        saved, rewards = [], []
        for _ in range(8):
            state = states[rng.integers(2)]
            action = select_action(state, saved)
            rewards.append(1.0 if action == int(state.argmax()) else 0.0)
        returns = tg.tensor(rewards)
        returns = (returns - returns.mean()) / (returns.std() + 1e-6)
        policy_loss = tg.cat([-log_prob * R for log_prob, R in zip(saved, returns)]).sum()
        optimizer.zero_grad()
        policy_loss.backward()
        optimizer.step()
    with tg.no_grad():
        probs = policy(tg.from_numpy(states)).numpy()
    assert probs[0, 0] > 0.9 and probs[1, 1] > 0.9

    # One finish_episode step's gradients, against PyTorch with the same weights and actions.
    policy.double()
    reference = torch.nn.Sequential(
        torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2), torch.nn.Softmax(dim=1)
    ).double()
    with torch.no_grad():
        for ours, theirs in zip(policy.parameters(), reference.parameters(), strict=True):
            theirs.copy_(torch.from_numpy(ours.detach().numpy()))
    batch = states[rng.integers(2, size=6)].astype(np.float64)
    actions, weights = rng.integers(2, size=6), rng.standard_normal(6)
    for lib, d, net in ((tg, D, policy), (torch, TD, reference)):
        net.zero_grad()
        log_probs = d.Categorical(net(lib.tensor(batch))).log_prob(lib.tensor(actions))
        (-(log_probs * lib.tensor(weights)).sum()).backward()
    for ours, theirs in zip(policy.parameters(), reference.parameters(), strict=True):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9, atol=1e-12)
