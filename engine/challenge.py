"""Challenges: a goal on a hidden test set, judged from a network's own weights.

A `Challenge` names a dataset (the public training data students load, from `data_seed`),
a metric and a goal, and optional constraints on the network. The hidden test set is a
fresh sample of the same dataset drawn from `test_seed`, a number the caller keeps to
itself (the server never sends it), so nobody can train on the points that judge them.

`evaluate(challenge, Candidate.of(trainer))` measures the network's figure on the hidden
set and lists the constraints it breaks; `leaderboard(entries, metric)` ranks the best
entry of each student. Pure NumPy: no I/O, no global RNG.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from engine.activations import ACTIVATIONS
from engine.datasets import DATASETS, make_dataset
from engine.features import FEATURES, feature_matrix
from engine.losses import LOSSES
from engine.network import Network
from engine.options import MAX_HIDDEN_LAYERS, MAX_NEURONS, SEED_MAX, ConfigError

TEST_POINTS = (100, 2000)  # bounds of the hidden test set's size
MAX_EPOCHS = 1_000_000
TITLE_MAX = 80


@dataclass(frozen=True)
class Metric:
    """One entry of `METRICS`: what is measured on the hidden set and which way is better."""

    name: str
    label: str
    higher_is_better: bool
    classification_only: bool
    goal_range: tuple[float, float]  # what a goal may be (accuracy as a fraction)
    default_goal: float


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("test_accuracy", "Test accuracy", True, True, (0.0, 1.0), 0.95),
        Metric("test_loss", "Test loss", False, False, (0.0, 100.0), 0.1),
    )
}

# The optional constraints, each with its bounds (None in a challenge: no constraint).
CONSTRAINTS: dict[str, dict[str, Any]] = {
    "max_neurons": {"label": "Neurons at most", "min": 1, "max": MAX_NEURONS * MAX_HIDDEN_LAYERS},
    "max_hidden_layers": {"label": "Hidden layers at most", "min": 0, "max": MAX_HIDDEN_LAYERS},
    "max_epochs": {"label": "Epochs at most", "min": 1, "max": MAX_EPOCHS},
    "features": {"label": "Allowed features", "choices": list(FEATURES)},
    "activations": {"label": "Allowed activations", "choices": list(ACTIVATIONS)},
}


@dataclass(frozen=True)
class Challenge:
    """A posted challenge (wire names). Build with `Challenge.from_dict`, which validates."""

    title: str
    dataset: str
    metric: str
    goal: float  # accuracy: a fraction reached (>=); loss: a value reached (<=)
    test_seed: int  # draws the hidden test set: never leaves the server
    num_classes: int = 2  # for the datasets that take a class count
    noise: int = 0
    data_seed: int = 0  # the public training data
    test_points: int = 500
    loss: str = "square"  # the loss `test_loss` is measured in (submissions must train it)
    max_neurons: int | None = None
    max_hidden_layers: int | None = None
    max_epochs: int | None = None
    features: tuple[str, ...] | None = None
    activations: tuple[str, ...] | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any], test_seed: int) -> Challenge:
        """Validate a client's (or the store's) fields; ConfigError names the bad one."""
        if not isinstance(d, dict):
            raise ConfigError("challenge", "an object of challenge fields")
        known = {f.name for f in dataclasses.fields(cls)} - {"test_seed"}
        for name in d:
            if name not in known:
                raise ConfigError(str(name), "a challenge field (one of " + ", ".join(known) + ")")
        dataset = _choice(d, "dataset", list(DATASETS), "spiral")
        problem = DATASETS[dataset].problem
        default_metric = "test_accuracy" if problem == "classification" else "test_loss"
        metric = _choice(d, "metric", list(METRICS), default_metric)
        spec = METRICS[metric]
        if spec.classification_only and problem != "classification":
            raise ConfigError("metric", f"test_loss for the regression dataset {dataset}", metric)
        loss = _choice(d, "loss", list(LOSSES), "square")
        if problem == "regression" and loss != "square":
            raise ConfigError("loss", "square for a regression dataset", loss)
        title = d.get("title", "Challenge")
        if not isinstance(title, str) or not 1 <= len(title.strip()) <= TITLE_MAX:
            raise ConfigError("title", f"a string of 1-{TITLE_MAX} characters", title)
        return cls(
            title=title.strip(),
            dataset=dataset,
            metric=metric,
            goal=_number(d, "goal", *spec.goal_range, spec.default_goal),
            test_seed=_int_in("test_seed", test_seed, 0, 2**63 - 1),
            num_classes=_int(d, "num_classes", 2, 6, 2),
            noise=_int(d, "noise", 0, 80, 0),
            data_seed=_int(d, "data_seed", 0, SEED_MAX, 0),
            test_points=_int(d, "test_points", *TEST_POINTS, 500),
            loss=loss,
            max_neurons=_optional_int(d, "max_neurons"),
            max_hidden_layers=_optional_int(d, "max_hidden_layers"),
            max_epochs=_optional_int(d, "max_epochs"),
            features=_subset(d, "features"),
            activations=_subset(d, "activations"),
        )

    @property
    def problem(self) -> str:
        return DATASETS[self.dataset].problem

    @property
    def classes(self) -> int:
        """Classes of the challenge's data (0 for regression)."""
        spec = DATASETS[self.dataset]
        return spec.classes if spec.classes is not None else self.num_classes

    def to_dict(self) -> dict[str, Any]:
        """Every field, the secret `test_seed` included (for the server's own storage)."""
        out = dataclasses.asdict(self)
        for name in ("features", "activations"):
            if out[name] is not None:
                out[name] = list(out[name])
        return out

    def public(self) -> dict[str, Any]:
        """What students may know: everything but `test_seed`, plus the data to load."""
        out = self.to_dict()
        del out["test_seed"]
        out["config"] = self.start_config()
        return out

    def start_config(self) -> dict[str, Any]:
        """The config fields that load the challenge's training data."""
        config: dict[str, Any] = {
            "problem": self.problem,
            "dataset": self.dataset,
            "noise": self.noise,
            "data_seed": self.data_seed,
        }
        if DATASETS[self.dataset].classes is None:
            config["num_classes"] = self.num_classes
        if self.metric == "test_loss":
            config["loss"] = self.loss
        return config


@dataclass(frozen=True)
class Candidate:
    """A trainer's network as submitted, copied so that its training may go on meanwhile.

    `input_affine` is the trainer's (factor, offset) on the features (None: as they are).
    """

    network: Network
    features: tuple[str, ...]
    activations: tuple[str, ...]
    input_affine: tuple[np.ndarray, np.ndarray] | None
    problem: str
    classes: int
    loss: str
    epoch: int

    @classmethod
    def of(cls, trainer: Any) -> Candidate:
        net = trainer.network
        copy = Network(net.sizes, net.activations, net.head, net.dropout)
        copy.params[...] = net.params
        affine = trainer.data.input_affine
        return cls(
            network=copy,
            features=tuple(trainer.config.features),
            activations=tuple(trainer.config.activations()),
            input_affine=None if affine is None else (affine[0].copy(), affine[1].copy()),
            problem=trainer.dataset.problem,
            classes=int(trainer.dataset.num_classes),
            loss=trainer.config.loss,
            epoch=int(trainer.epoch),
        )

    @property
    def hidden(self) -> tuple[int, ...]:
        return self.network.sizes[1:-1]


@dataclass(frozen=True)
class Verdict:
    """What the hidden test set said about one candidate.

    value : the metric measured (None: not measurable, e.g. the outputs overflow or the
        network is for another problem); goal_met : constraints respected and goal reached.
    """

    value: float | None
    goal_met: bool
    violations: tuple[str, ...]
    neurons: int
    hidden_layers: int
    epoch: int


def hidden_test_set(ch: Challenge) -> tuple[np.ndarray, np.ndarray]:
    """The hidden test points (n, 2) and labels (n,) of `ch` (read-only arrays)."""
    return _sample(ch.dataset, ch.test_points, ch.noise, ch.num_classes, ch.test_seed)


@lru_cache(maxsize=32)
def _sample(dataset: str, n: int, noise: int, num_classes: int, seed: int):
    data = make_dataset(dataset, n, noise, num_classes, 100, 0, np.random.default_rng(seed))
    for array in (data.x, data.y):
        array.setflags(write=False)
    return data.x, data.y


def violations(ch: Challenge, c: Candidate) -> list[str]:
    """Each broken constraint in words (empty: the network may take part)."""
    out = []
    if c.problem != ch.problem or (ch.problem == "classification" and c.classes != ch.classes):
        kind = f"{ch.classes} classes" if ch.problem == "classification" else "regression"
        out.append(f"the challenge is {ch.dataset} ({kind}): load its data first")
    neurons = sum(c.hidden)
    if ch.max_neurons is not None and neurons > ch.max_neurons:
        out.append(f"{neurons} hidden neurons, more than {ch.max_neurons}")
    if ch.max_hidden_layers is not None and len(c.hidden) > ch.max_hidden_layers:
        out.append(f"{len(c.hidden)} hidden layers, more than {ch.max_hidden_layers}")
    if ch.max_epochs is not None and c.epoch > ch.max_epochs:
        out.append(f"trained {c.epoch} epochs, more than {ch.max_epochs}")
    if ch.features is not None and (extra := [f for f in c.features if f not in ch.features]):
        out.append(f"uses the feature(s) {', '.join(extra)}; allowed: {', '.join(ch.features)}")
    if ch.activations is not None and (
        extra := sorted({a for a in c.activations if a not in ch.activations})
    ):
        allowed = ", ".join(ch.activations)
        out.append(f"uses the activation(s) {', '.join(extra)}; allowed: {allowed}")
    if ch.metric == "test_loss" and c.loss != ch.loss:
        out.append(f"trains the {c.loss} loss; this challenge measures {ch.loss}")
    return out


def evaluate(ch: Challenge, c: Candidate) -> Verdict:
    """Measure `c` on the hidden test set of `ch` and check its constraints."""
    broken = violations(ch, c)
    value = None if _foreign(ch, c) else measure(ch, c)
    met = not broken and value is not None and reaches(ch.metric, value, ch.goal)
    return Verdict(value, met, tuple(broken), sum(c.hidden), len(c.hidden), c.epoch)


def _foreign(ch: Challenge, c: Candidate) -> bool:
    """A network for another problem (or class count) has no figure on this data."""
    return c.problem != ch.problem or (ch.problem == "classification" and c.classes != ch.classes)


def measure(ch: Challenge, c: Candidate) -> float | None:
    """The metric of `c` on the hidden test set (None if it is not a finite number)."""
    x, y = hidden_test_set(ch)
    net = c.network
    inputs = feature_matrix(x, c.features)
    if c.input_affine is not None:
        inputs = inputs * c.input_affine[0] + c.input_affine[1]
    with np.errstate(all="ignore"):  # a diverged network gives inf/nan, not warnings
        ws = net.forward(inputs)
        z, out = ws.z[-1], ws.h[-1]
        if ch.metric == "test_accuracy":
            value = float(np.mean(net.head.predict(out) == y))
        else:
            value = float(np.mean(net.head.loss(z, out, net.head.targets(y))))
    return value if math.isfinite(value) else None


def reaches(metric: str, value: float, goal: float) -> bool:
    """Whether a measured value reaches the goal (>= for accuracy, <= for loss)."""
    tolerance = 1e-12  # 475/500 must count as reaching 0.95
    if METRICS[metric].higher_is_better:
        return value >= goal - tolerance
    return value <= goal + tolerance


def rank_key(entry: dict[str, Any], metric: str) -> tuple:
    """Sort key of a leaderboard entry; smaller ranks higher.

    Goal met first; then entries within the constraints; then the metric (better first,
    unmeasurable last); then fewer hidden neurons; then the earlier submission.
    """
    value = entry["value"]
    sign = -1.0 if METRICS[metric].higher_is_better else 1.0
    score = math.inf if value is None else sign * value
    return (
        not entry["goal_met"],
        bool(entry["violations"]),
        score,
        entry["neurons"],
        entry["at"],
        entry["id"],
    )


def leaderboard(entries: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    """Each student's best entry (by `rank_key`), best first.

    An entry is a dict with `student` (who), `goal_met`, `violations`, `value`, `neurons`,
    `at` (submission time) and `id` (submission order), plus whatever the caller shows.
    """
    best: dict[str, dict[str, Any]] = {}
    for e in entries:
        held = best.get(e["student"])
        if held is None or rank_key(e, metric) < rank_key(held, metric):
            best[e["student"]] = e
    return sorted(best.values(), key=lambda e: rank_key(e, metric))


def _choice(d: dict[str, Any], name: str, choices: list[str], default: str) -> str:
    value = d.get(name, default)
    if value not in choices:
        raise ConfigError(name, "one of " + ", ".join(choices), value)
    return value


def _int_in(name: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ConfigError(name, f"an integer from {lo} to {hi}", value)
    return value


def _int(d: dict[str, Any], name: str, lo: int, hi: int, default: int) -> int:
    return _int_in(name, d.get(name, default), lo, hi)


def _optional_int(d: dict[str, Any], name: str) -> int | None:
    value = d.get(name)
    if value is None:
        return None
    bounds = CONSTRAINTS[name]
    return _int_in(name, value, bounds["min"], bounds["max"])


def _number(d: dict[str, Any], name: str, lo: float, hi: float, default: float) -> float:
    value = d.get(name, default)
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or not lo <= value <= hi:
        raise ConfigError(name, f"a number from {lo:g} to {hi:g}", value)
    return float(value)


def _subset(d: dict[str, Any], name: str) -> tuple[str, ...] | None:
    value = d.get(name)
    if value is None:
        return None
    choices = CONSTRAINTS[name]["choices"]
    if (
        not isinstance(value, list)
        or not value
        or any(v not in choices for v in value)
        or len(set(value)) != len(value)
    ):
        raise ConfigError(name, "a non-empty list of distinct names from " + ", ".join(choices))
    return tuple(value)
