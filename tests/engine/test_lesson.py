"""`engine.lesson`: validating a lesson, naming the field at fault, running and checking it."""

from __future__ import annotations

import copy

import pytest

from engine import ConfigError
from engine.lesson import Lesson, check, run_lesson


def _lesson() -> dict:
    return {
        "id": "gauss-line",
        "title": "A line through two clouds",
        "concept": "linear classifier",
        "topic": "Linear models",
        "text": "No hidden layer. The boundary is a straight line.",
        "config": {"dataset": "gauss", "hidden": [], "data_seed": 1, "seed": 1},
        "stop_at": 20,
        "expect": [
            {"metric": "test_accuracy", "op": ">=", "value": 0.9, "label": "Clouds separated"}
        ],
        "now_try": [
            {
                "text": "Try the circle.",
                "config": {"dataset": "circle"},
                "expect": [
                    {"metric": "test_accuracy", "op": "<=", "value": 0.75, "label": "No line"}
                ],
            }
        ],
    }


def _broken(path: tuple, value) -> dict:
    d = _lesson()
    target = d
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return d


def test_a_valid_lesson_keeps_its_fields_and_fills_in_the_full_config():
    lesson = Lesson.from_dict(_lesson())
    out = lesson.to_dict()
    assert out["id"] == "gauss-line" and out["stop_at"] == 20
    assert out["config"]["dataset"] == "gauss" and out["config"]["learning_rate"] == 0.03
    assert out["now_try"][0]["changes"] == {"dataset": "circle"}
    assert out["now_try"][0]["config"]["hidden"] == []
    assert out["config"]["stop_at"] == out["now_try"][0]["config"]["stop_at"] == 20
    assert out["expect"][0] == _lesson()["expect"][0]


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("id",), "Gauss Line", "id"),
        (("title",), "", "title"),
        (("stop_at",), 0, "stop_at"),
        (("stop_at",), 2.5, "stop_at"),
        (("config", "hidden"), [0], "config.hidden"),
        (("config", "dataset"), "moons2", "config.dataset"),
        (("config", "colour"), "red", "config.colour"),
        (("config", "stop_at"), 20, "config.stop_at"),
        (("expect",), [], "expect"),
        (("expect", 0, "metric"), "test_acuracy", "expect[0].metric"),
        (("expect", 0, "metric"), "grad_norms", "expect[0].metric"),
        (("expect", 0, "metric"), "grad_norms.1", "expect[0].metric"),
        (("expect", 0, "metric"), "val_loss", "expect[0].metric"),
        (("expect", 0, "op"), "=>", "expect[0].op"),
        (("expect", 0, "value"), "high", "expect[0].value"),
        (("expect", 0, "label"), "", "expect[0].label"),
        (("now_try", 0, "config"), {"dataset": "gauss"}, "now_try[0].config"),
        (("now_try", 0, "config"), {"noise": 99}, "now_try[0].config.noise"),
        (("now_try", 0, "expect", 0, "metric"), "grad_norms.-2", "now_try[0].expect[0].metric"),
        (("now_try", 0, "text"), None, "now_try[0].text"),
        (("compare",), [{"optimizer": "adam"}], "compare"),
        (("compare",), [{}, {}, {}, {}, {}], "compare"),
        (("compare",), [{}, 3], "compare[1]"),
        (("compare",), [{}, {"optimizer": "newton"}], "compare[1].optimizer"),
        (("compare",), [{}, {"dataset": "circle"}], "compare[1].dataset"),
    ],
)
def test_a_broken_lesson_is_rejected_naming_the_field(path, value, field):
    with pytest.raises(ConfigError) as error:
        Lesson.from_dict(_broken(path, value))
    assert error.value.field == field


def test_a_lesson_may_open_in_the_compare_view_with_its_variants():
    d = _lesson()
    assert Lesson.from_dict(d).to_dict()["compare"] is None
    d["compare"] = [{"optimizer": "sgd"}, {"optimizer": "adam", "learning_rate": 0.01}]
    assert Lesson.from_dict(d).to_dict()["compare"] == d["compare"]


def test_an_unknown_lesson_field_is_rejected():
    d = _lesson()
    d["stop"] = 3
    with pytest.raises(ConfigError, match="stop"):
        Lesson.from_dict(d)


def test_check_reports_each_expectation_met_or_not_with_the_value():
    lesson = Lesson.from_dict(_lesson())
    (met,) = check(lesson.expect, {"test_accuracy": 0.95})
    (missed,) = check(lesson.expect, {"test_accuracy": 0.85})
    (absent,) = check(lesson.expect, {"test_accuracy": None})
    assert (met.met, met.actual) == (True, 0.95)
    assert (missed.met, missed.actual) == (False, 0.85)
    assert absent.met is False
    (missing,) = check(lesson.expect, {"train_loss": 0.1})
    assert (missing.met, missing.actual) == (False, None)


def test_running_a_lesson_and_its_variant_shows_the_contrast():
    lesson = Lesson.from_dict(_lesson())
    assert [c.met for c in run_lesson(lesson)] == [True]
    assert [c.met for c in run_lesson(lesson, variant=0)] == [True]


def test_an_expectation_the_run_does_not_meet_is_reported_unmet():
    d = copy.deepcopy(_lesson())
    d["expect"][0]["value"] = 0.5
    d["expect"][0]["op"] = "<="  # the gauss clouds are separated, so this cannot hold
    (result,) = run_lesson(Lesson.from_dict(d))
    assert result.met is False and result.actual >= 0.9


def test_a_variant_index_out_of_range_is_an_error_naming_it():
    with pytest.raises(ConfigError) as error:
        run_lesson(Lesson.from_dict(_lesson()), variant=1)
    assert error.value.field == "variant"
