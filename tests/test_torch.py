"""MLPPolicy.from_torch: exact weights from an nn.Sequential of Linear / ReLU.  The weight
extraction is duck-typed, so fake modules exercise it where torch is not installed."""

from fractions import Fraction

import numpy as np
import pytest

import alignspec as al
from alignspec.policy.torch_import import layers_from_torch

LINE = al.Space(x=al.Real(-1, 1))
LR = al.Actions("l", "r")
X = LINE.vars.x


class Linear:
    def __init__(self, weight, bias=None):
        self.weight = np.asarray(weight, dtype=np.float32)
        self.bias = None if bias is None else np.asarray(bias, dtype=np.float32)

    def children(self):
        return iter(())


class ReLU:
    def children(self):
        return iter(())


class Tanh(ReLU):
    pass


class Dropout(ReLU):
    pass


class Sequential:
    def __init__(self, *layers):
        self.layers = layers

    def children(self):
        return iter(self.layers)


# score_l = relu(x) - relu(-x) = x, score_r = 0: picks "l" when x >= 0 (ties to the first)
SIGN = Sequential(Linear([[1], [-1]]), ReLU(), Dropout(), Linear([[1, -1], [0, 0]], [0, 0]))


def reference(layers, xs):
    """Brute force: the network's exact output, in Fractions, layer by layer."""
    out = [Fraction(x) for x in xs]
    for i, (w, b) in enumerate(layers):
        out = [
            sum((Fraction(float(wij)) * v for wij, v in zip(row, out, strict=True)), Fraction(0))
            + Fraction(float(bi))
            for row, bi in zip(w, b, strict=True)
        ]
        if i < len(layers) - 1:
            out = [max(v, Fraction(0)) for v in out]
    return out


def test_fake_module_is_read_exactly():
    policy = al.MLPPolicy.from_torch(SIGN, LINE, LR)
    assert policy.act({"x": Fraction(1, 3)}) == "l" and policy.act({"x": 0}) == "l"
    assert policy.act({"x": Fraction(-1, 10**9)}) == "r"
    f = al.inner.optimality(policy, LR.per_action({"l": X, "r": 0}))
    assert f.verdict is al.Verdict.PROVED
    f = al.inner.optimality(policy, LR.per_action({"l": -X, "r": 0}))
    assert (
        f.verdict is al.Verdict.VIOLATED and policy.act(f.witness["s"]) == f.witness["s"]["action"]
    )


def test_fake_module_differential_against_fractions():
    rng = np.random.default_rng(0)
    w1, b1 = rng.normal(size=(6, 3)), rng.normal(size=6)
    w2, b2 = rng.normal(size=(6, 6)), rng.normal(size=6)
    w3, b3 = rng.normal(size=(2, 6)), rng.normal(size=2)
    module = Sequential(Sequential(Linear(w1, b1), ReLU()), Linear(w2, b2), ReLU(), Linear(w3, b3))
    space = al.Space(a=al.Real(-2, 2), b=al.Real(-2, 2), c=al.Real(-2, 2))
    policy = al.MLPPolicy.from_torch(
        module, space, al.Space(u=al.Real(-99, 99), v=al.Real(-99, 99))
    )
    layers = [(np.float32(w), np.float32(b)) for w, b in ((w1, b1), (w2, b2), (w3, b3))]
    for _ in range(20):
        xs = [Fraction(int(k), 7) for k in rng.integers(-14, 15, size=3)]
        out = policy.act(dict(zip("abc", xs, strict=True)))
        assert [out["u"], out["v"]] == reference(layers, xs)  # exact, float32 weights widened


def test_default_spaces_like_onnx():
    policy = al.MLPPolicy.from_torch(SIGN, input_bounds=(-1, 1))
    assert policy.space.variables == {"X_0": al.Real(-1, 1)}
    assert policy.action_names == ("Y_0", "Y_1") and policy.mode is None


def test_unsupported_modules_are_typed_errors():
    with pytest.raises(al.SpecError, match=r"layer 1 \(Tanh\) is not supported"):
        al.MLPPolicy.from_torch(Sequential(Linear([[1]]), Tanh(), Linear([[1]])), LINE)
    with pytest.raises(al.SpecError, match="ends with a ReLU"):
        al.MLPPolicy.from_torch(Sequential(Linear([[1], [1]]), ReLU()), LINE, LR)
    with pytest.raises(al.SpecError, match="without a ReLU"):
        al.MLPPolicy.from_torch(Sequential(Linear([[1]]), Linear([[1], [1]])), LINE, LR)
    with pytest.raises(al.SpecError, match="must follow a Linear"):
        al.MLPPolicy.from_torch(Sequential(ReLU(), Linear([[1], [1]])), LINE, LR)
    with pytest.raises(al.SpecError, match="takes 3 inputs"):
        al.MLPPolicy.from_torch(
            Sequential(Linear([[1], [1]]), ReLU(), Linear(np.ones((2, 3)))), LINE, LR
        )
    with pytest.raises(al.SpecError, match="not a torch module"):
        al.MLPPolicy.from_torch([[1.0]], LINE, LR)
    with pytest.raises(al.SpecError, match="NaN or infinite"):
        al.MLPPolicy.from_torch(Sequential(Linear([[np.nan], [1]])), LINE, LR)
    with pytest.raises(al.SpecError, match="no Linear layer"):
        al.MLPPolicy.from_torch(Sequential(Dropout()), LINE, LR)


def test_real_torch_module():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(3, 8),
        torch.nn.ReLU(),
        torch.nn.Linear(8, 8),
        torch.nn.ReLU(),
        torch.nn.Linear(8, 3),
    )
    space = al.Space(a=al.Real(-2, 2), b=al.Real(-2, 2), c=al.Real(-2, 2))
    acts = al.Actions("left", "stay", "right")
    policy = al.MLPPolicy.from_torch(net, space, acts)
    rng = np.random.default_rng(1)
    xs = rng.uniform(-2, 2, size=(200, 3))
    with torch.no_grad():
        ref = net.double()(torch.tensor(xs, dtype=torch.float64)).numpy()
    assert np.abs(policy.forward_batch(xs) - ref).max() < 1e-12
    assert policy.act_batch(xs).tolist() == ref.argmax(axis=1).tolist()
    for row, scores in zip(xs[:20], ref[:20], strict=True):  # exact semantics agree
        assert policy.act(policy.decode_row(row)) == acts.labels[int(scores.argmax())]


class Module(Sequential):
    """A module with named parts, as stable-baselines3's policies are."""

    def __init__(self, **parts):
        super().__init__(*parts.values())
        self.__dict__.update(parts)


class Flatten(ReLU):
    pass


def test_stable_baselines3_policies_read_their_action_network():
    """DQN: the online q_net (not the target); PPO / A2C: features, policy_net, action_net
    (not the value head); a model object reads its .policy."""
    online = Sequential(Linear([[1], [-1]]), ReLU(), Linear([[1, -1], [0, 0]], [0, 0]))
    target = Sequential(Linear([[5], [5]]), ReLU(), Linear([[9, 9], [9, 9]]))
    qnet = Module(features_extractor=Module(flatten=Flatten()), q_net=online)
    dqn_policy = Module(q_net=qnet, q_net_target=Module(q_net=target))

    class Model:  # stable-baselines3's DQN / PPO objects are not torch modules
        def __init__(self, policy):
            self.policy = policy

    ppo_policy = Module(
        features_extractor=Module(flatten=Flatten()),
        mlp_extractor=Module(
            policy_net=Sequential(Linear([[1], [-1]]), ReLU()),
            value_net=Sequential(Linear([[7]]), ReLU()),
        ),
        action_net=Linear([[1, -1], [0, 0]], [0, 0]),
        value_net=Linear([[3]]),
    )
    for source in (dqn_policy, Model(dqn_policy), ppo_policy, Model(ppo_policy)):
        layers = layers_from_torch(source)
        assert [w.tolist() for w, _ in layers] == [[[1.0], [-1.0]], [[1.0, -1.0], [0.0, 0.0]]]
        policy = al.MLPPolicy.from_torch(source, LINE, LR)
        assert policy.act({"x": Fraction(1, 3)}) == "l" and policy.act({"x": -1}) == "r"
    tanh = Module(
        mlp_extractor=Module(policy_net=Sequential(Linear([[1], [-1]]), Tanh())),
        action_net=Linear([[1, -1], [0, 0]]),
    )
    with pytest.raises(al.SpecError, match="activation_fn=torch.nn.ReLU"):
        al.MLPPolicy.from_torch(tanh, LINE, LR)
