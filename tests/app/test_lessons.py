"""The course's lessons: each one shows its point headless, for three seeds; /api/lessons."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from app.lessons import LESSON_DIR, LessonFileError, load_lesson, load_lessons
from engine.lesson import run_lesson
from tests.app.wsclient import running_app

LESSONS = load_lessons()
SEEDS = (0, 1, 2)  # offsets added to each lesson's data seed and network seed
RUNS = [
    pytest.param(lesson, variant, id=f"{lesson.id}-{'main' if variant is None else variant}")
    for lesson in LESSONS
    for variant in (None, *range(len(lesson.now_try)))
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("lesson", "variant"), RUNS)
def test_every_lesson_shows_its_point(lesson, variant, seed):
    checks = run_lesson(lesson, seed, variant)
    missed = [
        f"{c.expectation.label}: {c.expectation.metric} = {c.actual!r}, "
        f"expected {c.expectation.op} {c.expectation.value!r}"
        for c in checks
        if not c.met
    ]
    assert not missed, "\n".join(missed)


# The 24 lessons issue 9 lists, in its order (the perceptron's AND/OR and XOR are two).
ISSUE_9 = (
    "linear-boundary", "perceptron-and-or", "perceptron-xor", "xor-hidden-layer",
    "feature-map", "linear-collapse", "width", "depth", "activations-compared",
    "step-function", "dead-relu", "vanishing-gradients", "softmax", "cross-entropy",
    "learning-rate-too-high", "learning-rate-too-low", "optimizers", "schedules",
    "batch-size", "overfitting", "early-stopping", "l1-l2", "dropout", "zero-init",
    "input-scaling", "non-convexity",
)  # fmt: skip


def test_the_course_has_every_lesson_of_issue_9_in_topic_order():
    ids = [lesson.id for lesson in LESSONS]
    assert [i for i in ids if i in ISSUE_9] == [i for i in ISSUE_9 if i in ids]
    assert set(ISSUE_9) <= set(ids)
    assert len(set(ids)) == len(ids)
    topics = [lesson.topic for lesson in LESSONS]
    # Each topic is one block of consecutive lessons, so the menu lists them in course order.
    blocks = [t for i, t in enumerate(topics) if i == 0 or topics[i - 1] != t]
    assert len(blocks) == len(set(topics))


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.id)
def test_a_lesson_text_is_two_to_six_sentences(lesson):
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", lesson.text.strip()) if s]
    assert 2 <= len(sentences) <= 6, sentences


def _copy(tmp_path, name: str) -> tuple:
    source = next(LESSON_DIR.glob(f"*-{name}.json"))
    target = tmp_path / source.name
    shutil.copy(source, target)
    return target, json.loads(target.read_text())


def test_a_lesson_file_with_an_invalid_config_fails_to_load_naming_file_and_field(tmp_path):
    path, d = _copy(tmp_path, "linear-boundary")
    d["config"]["learning_rate"] = 50
    path.write_text(json.dumps(d))
    with pytest.raises(LessonFileError, match=rf"{path.name}: config\.learning_rate"):
        load_lesson(path)


def test_a_lesson_file_checking_a_metric_that_does_not_exist_fails_to_load(tmp_path):
    path, d = _copy(tmp_path, "vanishing-gradients")
    d["expect"][0]["metric"] = "grad_norms.7"  # six hidden layers: entries 0-6 only
    path.write_text(json.dumps(d))
    with pytest.raises(LessonFileError, match=rf"{path.name}: expect\[0\]\.metric"):
        load_lesson(path)
    d["expect"][0]["metric"] = "gradient_norm"
    path.write_text(json.dumps(d))
    with pytest.raises(LessonFileError, match=rf"{path.name}: expect\[0\]\.metric"):
        load_lessons(tmp_path)


def test_a_lesson_file_must_be_named_after_its_id(tmp_path):
    path, d = _copy(tmp_path, "linear-boundary")
    d["id"] = "straight-line"
    path.write_text(json.dumps(d))
    with pytest.raises(LessonFileError, match="must match the file name"):
        load_lesson(path)
    (tmp_path / "lesson.json").write_text("{")
    with pytest.raises(LessonFileError, match="NNN-<id>.json"):
        load_lesson(tmp_path / "lesson.json")


def test_api_lessons_lists_every_lesson_with_every_field_in_course_order():
    with running_app() as client:
        listed = client.get("/api/lessons").json()["lessons"]
    assert [entry["id"] for entry in listed] == [lesson.id for lesson in LESSONS]
    for entry, lesson in zip(listed, LESSONS, strict=True):
        assert entry == {**lesson.to_dict(), **entry}
        assert set(entry["config"]) == set(lesson.config.to_dict())


def test_api_lessons_marks_a_lesson_the_server_limits_cannot_run():
    widest = max(max(lesson.config.hidden, default=0) for lesson in LESSONS)
    with running_app(max_neurons=widest - 1) as client:
        listed = {e["id"]: e for e in client.get("/api/lessons").json()["lessons"]}
    too_wide = [lesson.id for lesson in LESSONS if max(lesson.config.hidden, default=0) == widest]
    for lesson_id, entry in listed.items():
        if lesson_id in too_wide:
            assert entry["available"] is False
            assert f"each from 1 to {widest - 1}" in entry["unavailable_reason"]
    assert listed["linear-boundary"]["available"] is True
