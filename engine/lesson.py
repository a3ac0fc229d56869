"""Lessons: a config, an epoch to stop at, and checks that the run showed its point.

A lesson is plain data (the app keeps one JSON file per lesson, docs/lessons.md). This
module validates one (`Lesson.from_dict`), runs it headless (`run_lesson`) and checks its
expectations against the metrics at `stop_at`:

    lesson = Lesson.from_dict(json.load(open("app/lessons/010-linear-boundary.json")))
    for check in run_lesson(lesson):
        print(check.expectation.label, check.actual, check.met)
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.compare import MAX_VARIANTS as MAX_COMPARED
from engine.compare import MIN_VARIANTS as MIN_COMPARED
from engine.config import Config
from engine.metrics import metric_value
from engine.options import DATA_FIELDS, ConfigError
from engine.trainer import Trainer

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}
MAX_STOP_AT = 5000
MAX_VARIANTS = 4
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
TEXT_FIELDS = ("title", "concept", "topic")


@dataclass(frozen=True)
class Expectation:
    """One check on a metric at `stop_at`: ``metric op value``, described by `label`."""

    metric: str  # a metric name, or "name.i" for entry i of a per-layer list (-1: last)
    op: str  # one of OPS
    value: float | str | bool
    label: str  # what it means in words ("Most weights are exactly zero")

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "op": self.op, "value": self.value, "label": self.label}


@dataclass(frozen=True)
class Check:
    """An expectation with the value the run produced."""

    expectation: Expectation
    actual: Any
    met: bool


@dataclass(frozen=True)
class Variant:
    """The "now try" contrast: changes over the lesson's config and what they show."""

    text: str
    changes: dict[str, Any]  # config fields that differ from the lesson's
    config: Config  # the lesson's config with `changes` applied
    expect: tuple[Expectation, ...]


@dataclass(frozen=True)
class Lesson:
    """One lesson of the course; build with `Lesson.from_dict` (which validates)."""

    id: str  # URL-safe slug: lowercase words joined by "-"
    title: str
    concept: str
    topic: str
    text: str  # what to do, what to look at, why it happens
    config: Config
    stop_at: int  # the epoch at which the run pauses and the checks apply
    expect: tuple[Expectation, ...]
    now_try: tuple[Variant, ...]  # "now try" contrasts, in the order to try them
    # Opens in the compare view: each entry the changes of one variant over `config`.
    compare: tuple[dict[str, Any], ...] | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Lesson:
        """Validate a lesson dict; every check's metric must exist for its config.

        Raises
        ------
        ConfigError
            Naming the field (``config.hidden``, ``expect[2].metric``...) and what it allows.
        """
        if not isinstance(d, Mapping):
            raise ConfigError("lesson", "an object", d)
        known = {*TEXT_FIELDS, "id", "text", "config", "stop_at", "expect", "now_try", "compare"}
        for name in d:
            if name not in known:
                raise ConfigError(str(name), "a lesson field (one of " + ", ".join(known) + ")")
        slug = d.get("id")
        if not isinstance(slug, str) or not SLUG.match(slug):
            raise ConfigError("id", "lowercase letters and digits in words joined by '-'", slug)
        texts = {name: _text(d, name, 80) for name in TEXT_FIELDS}
        stop_at = d.get("stop_at")
        if isinstance(stop_at, bool) or not isinstance(stop_at, int):
            raise ConfigError("stop_at", f"an integer from 1 to {MAX_STOP_AT}", stop_at)
        if not 1 <= stop_at <= MAX_STOP_AT:
            raise ConfigError("stop_at", f"an integer from 1 to {MAX_STOP_AT}", stop_at)
        # The lesson's stop_at is its config's, so a run of the config pauses there by itself.
        config = _config("config", d.get("config"), Config(stop_at=stop_at))
        return cls(
            id=slug,
            **texts,
            text=_text(d, "text", 900),
            config=config,
            stop_at=stop_at,
            expect=_expectations("expect", d.get("expect"), config),
            now_try=_variants(d.get("now_try", []), config),
            compare=_compared(d.get("compare"), config),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form with the full config (every field, defaults filled in)."""
        out: dict[str, Any] = {"id": self.id}
        out.update({name: getattr(self, name) for name in (*TEXT_FIELDS, "text")})
        out["config"] = self.config.to_dict()
        out["stop_at"] = self.stop_at
        out["expect"] = [e.to_dict() for e in self.expect]
        out["now_try"] = [
            {
                "text": v.text,
                "changes": dict(v.changes),
                "config": v.config.to_dict(),
                "expect": [e.to_dict() for e in v.expect],
            }
            for v in self.now_try
        ]
        out["compare"] = None if self.compare is None else [dict(c) for c in self.compare]
        return out


def seeded(config: Config, seed_offset: int) -> Config:
    """`config` with both its data seed and its network seed moved by `seed_offset`."""
    if not seed_offset:
        return config
    return config.replace(data_seed=config.data_seed + seed_offset, seed=config.seed + seed_offset)


def train_to(config: Config) -> Trainer:
    """A trainer of `config` trained until epoch `config.stop_at` (or until it stopped)."""
    trainer = Trainer(config)
    trainer.train_epochs(trainer.epochs_to_stop() or 0)
    return trainer


def check(expect: tuple[Expectation, ...], metrics: Mapping[str, Any]) -> list[Check]:
    """Each expectation with its actual value and whether it holds.

    A metric these metrics lack (a layer index after the network was made shallower by
    hand) is an unmet check with the value None, not an error: the run goes on.
    """
    out = []
    for e in expect:
        try:
            actual = metric_value(metrics, e.metric)
        except ConfigError:
            actual = None
        met = actual is not None and _comparable(actual, e.value) and OPS[e.op](actual, e.value)
        out.append(Check(e, actual, bool(met)))
    return out


def run_lesson(lesson: Lesson, seed_offset: int = 0, variant: int | None = None) -> list[Check]:
    """Train the lesson (or its "now try" variant number `variant`) to `stop_at`; check it."""
    config, expect = lesson.config, lesson.expect
    if variant is not None:
        if not 0 <= variant < len(lesson.now_try):
            raise ConfigError("variant", f"an index from 0 to {len(lesson.now_try) - 1}", variant)
        config, expect = lesson.now_try[variant].config, lesson.now_try[variant].expect
    trainer = train_to(seeded(config, seed_offset))
    return check(expect, trainer.metrics())


def _comparable(actual: Any, value: Any) -> bool:
    numbers = (int, float)
    if isinstance(value, bool) or isinstance(actual, bool):
        return isinstance(value, bool) and isinstance(actual, bool)
    return isinstance(value, numbers) == isinstance(actual, numbers)


def _text(d: Mapping[str, Any], name: str, limit: int, prefix: str = "") -> str:
    value = d.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ConfigError(prefix + name, f"a non-empty text of at most {limit} characters", value)
    return value


def _config(field: str, value: Any, base: Config) -> Config:
    if not isinstance(value, Mapping):
        raise ConfigError(field, "an object of config fields", value)
    if "stop_at" in value:
        raise ConfigError(f"{field}.stop_at", "left out (the lesson's stop_at applies)")
    try:
        return Config.from_dict(value, base)
    except ConfigError as e:
        raise ConfigError(f"{field}.{e.field}", e.allowed) from e


def _expectations(field: str, value: Any, config: Config) -> tuple[Expectation, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(field, "a non-empty list of checks", value)
    metrics = Trainer(config).metrics()  # names and shapes as this config reports them
    return tuple(_expectation(f"{field}[{i}]", item, metrics) for i, item in enumerate(value))


def _expectation(field: str, item: Any, metrics: Mapping[str, Any]) -> Expectation:
    keys = {"metric", "op", "value", "label"}
    if not isinstance(item, Mapping) or set(item) != keys:
        raise ConfigError(field, "an object with exactly " + ", ".join(sorted(keys)), item)
    name, op, value = item["metric"], item["op"], item["value"]
    try:
        sample = metric_value(metrics, name)
    except ConfigError as e:
        raise ConfigError(f"{field}.metric", e.allowed, name) from e
    if sample is None or isinstance(sample, list | dict):
        allowed = "a metric with one value for this config ('name.i' picks entry i of a list)"
        raise ConfigError(f"{field}.metric", allowed, name)
    if op not in OPS:
        raise ConfigError(f"{field}.op", "one of " + " ".join(OPS), op)
    if not _comparable(sample, value) or (isinstance(value, str) and op != "=="):
        raise ConfigError(f"{field}.value", f"a value comparable to {name} with {op}", value)
    label = item["label"]
    if not isinstance(label, str) or not label.strip() or len(label) > 120:
        raise ConfigError(f"{field}.label", "a non-empty text of at most 120 characters", label)
    return Expectation(name, op, value, label)


def _compared(value: Any, config: Config) -> tuple[dict[str, Any], ...] | None:
    """The `compare` field: 2-4 objects of training fields, each valid over `config`."""
    if value is None:
        return None
    allowed = f"a list of {MIN_COMPARED} to {MAX_COMPARED} objects of config fields"
    if not isinstance(value, list) or not MIN_COMPARED <= len(value) <= MAX_COMPARED:
        raise ConfigError("compare", allowed, value)
    for i, changes in enumerate(value):
        _config(f"compare[{i}]", changes, config)
        data = sorted(set(changes) & DATA_FIELDS)
        if data:
            same = "left out (every variant has the same data)"
            raise ConfigError(f"compare[{i}].{data[0]}", same)
    return tuple(dict(changes) for changes in value)


def _variants(value: Any, config: Config) -> tuple[Variant, ...]:
    if not isinstance(value, list) or len(value) > MAX_VARIANTS:
        raise ConfigError("now_try", f"a list of at most {MAX_VARIANTS} variants", value)
    return tuple(_variant(f"now_try[{i}]", item, config) for i, item in enumerate(value))


def _variant(field: str, value: Any, config: Config) -> Variant:
    keys = {"text", "config", "expect"}
    if not isinstance(value, Mapping) or set(value) != keys:
        raise ConfigError(field, "an object with exactly " + ", ".join(sorted(keys)), value)
    text = _text(value, "text", 600, f"{field}.")
    changes = value["config"]
    variant = _config(f"{field}.config", changes, config)
    if variant == config:
        raise ConfigError(f"{field}.config", "at least one field that differs from config")
    expect = _expectations(f"{field}.expect", value["expect"], variant)
    return Variant(text, dict(changes), variant, expect)
