"""HTTP routes in-process: the page, options, dataset previews, health (metrics: test_metrics)."""

from __future__ import annotations

import json
import re

import pytest

from tests.app.wsclient import connect, running_app

pytestmark = pytest.mark.timeout(60)


def test_index_renders_the_template_with_one_bootstrap_variable(tmp_path):
    (tmp_path / "index.html").write_text("<script>{{ bootstrap | tojson }}</script>")
    with running_app(templates_dir=tmp_path) as client:
        response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    bootstrap = json.loads(re.search(r"<script>(.*)</script>", response.text).group(1))
    assert set(bootstrap) == {
        "options", "limits", "defaults", "compare", "code_formats", "challenges", "view",
    }  # fmt: skip
    assert bootstrap["defaults"]["hidden"] == [4, 2]
    assert bootstrap["limits"]["max_neurons"] == 32


def test_static_files_are_served_from_the_configured_dir(tmp_path):
    (tmp_path / "hello.js").write_text("export const x = 1;")
    with running_app(static_dir=tmp_path) as client:
        assert client.get("/static/hello.js").text == "export const x = 1;"
        assert client.get("/static/missing.js").status_code == 404


def test_options_publish_every_engine_and_server_field_with_bounds():
    with running_app() as client:
        options = client.get("/api/options").json()["options"]
    for name in ("dataset", "activation", "optimizer", "schedule", "loss", "init"):
        assert options[name]["choices"], name
    assert options["learning_rate"]["min"] == 1e-6
    assert options["epochs_per_frame"]["max"] == 1000
    assert options["thumb_size"]["choices"] == [10, 20, 25, 50]
    assert options["num_points"]["max"] == 2000


def test_every_option_has_words_for_people_not_its_wire_name():
    with running_app() as client:
        options = client.get("/api/options").json()["options"]
    for name, option in options.items():
        words = option["label"]
        assert words and "_" not in words and words[0].isupper(), name
    assert options["fps"]["label"] == "Frames per second"
    assert options["grid_size"]["label"] == "Map resolution"
    names = options["dataset"]["choice_labels"]
    assert set(names) == set(options["dataset"]["choices"])
    assert len(set(names.values())) == len(names)  # gauss / blobs, spiral / spirals differ


@pytest.mark.parametrize(
    ("name", "k", "labels"), [("circle", 2, {0, 1}), ("spirals", 5, set(range(5)))]
)
def test_dataset_preview_gives_200_noise_free_points(name, k, labels):
    with running_app() as client:
        points = client.get(f"/api/datasets/{name}/preview?num_classes={k}").json()["points"]
    assert len(points) == 200
    assert {p[2] for p in points} == labels
    assert all(len(p) == 3 for p in points)


def test_dataset_preview_of_an_unknown_name_is_404_naming_the_choices():
    with running_app() as client:
        response = client.get("/api/datasets/moon/preview")
    assert response.status_code == 404
    assert "circle" in response.json()["detail"]


def test_dataset_preview_with_num_classes_out_of_range_is_422():
    with running_app() as client:
        assert client.get("/api/datasets/blobs/preview?num_classes=9").status_code == 422


def test_healthz_counts_sessions():
    with running_app() as client:
        health = client.get("/healthz").json()
        assert health["status"] == "ok" and health["sessions"] == 0
        with connect(client):
            assert client.get("/healthz").json()["sessions"] == 1
