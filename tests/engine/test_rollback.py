"""What the trainer reports after it undoes or restores weights (rollback and early stop)."""

import numpy as np
import pytest

from engine import Config, Trainer

EARLY_STOP = Config(
    dataset="xor",
    noise=50,
    hidden=(16, 16),
    validation_percent=30,
    early_stopping=True,
    patience=10,
    learning_rate=0.3,
)


def test_after_an_early_stop_with_restore_last_losses_describe_the_restored_weights():
    t = Trainer(EARLY_STOP)
    t.train_epochs(2000)
    assert t.status == "early_stopped"
    last = t.last_losses
    assert last["epoch"] == t.epoch
    net = t.network
    for split, key in (("train", "train_loss"), ("val", "val_loss"), ("test", "test_loss")):
        assert last[key] == pytest.approx(net.loss(*t.data.rows(split)), rel=1e-12)
    # ...which are the best epoch's, not the stop epoch's still kept in the history.
    assert last["val_loss"] == pytest.approx(min(t.history["val_loss"]), rel=1e-12)
    assert t.history["val_loss"][-1] > last["val_loss"]


def test_after_an_early_stop_without_restore_last_losses_are_the_stop_epochs():
    t = Trainer(EARLY_STOP.replace(restore_best=False))
    t.train_epochs(2000)
    assert t.status == "early_stopped"
    assert t.last_losses["val_loss"] == t.history["val_loss"][-1]


def _diverging():
    return Trainer(Config(problem="regression", dataset="plane", learning_rate=10.0))


def test_train_batches_does_not_count_the_batches_of_a_rolled_back_epoch():
    reference = _diverging()
    good_epochs = reference.train_epochs(100)
    assert reference.status == "diverged"
    t = _diverging()
    per_epoch = -(-len(t.dataset.train) // t.config.batch_size)
    ran = t.train_batches(per_epoch * 100)
    assert t.status == "diverged"
    assert t.epoch == good_epochs
    assert ran == per_epoch * good_epochs
    np.testing.assert_array_equal(t.network.params, reference.network.params)


def test_train_batches_counts_nothing_when_the_first_epoch_is_rolled_back():
    t = Trainer(Config(problem="regression", dataset="plane", learning_rate=1e-5))
    t.set_bias(2, 0, 1e300)
    assert t.train_batches(500) == 0
    assert t.status == "diverged" and t.epoch == 0


def test_weights_that_blow_up_in_the_middle_of_an_epoch_are_rolled_back_at_once():
    t = Trainer(Config(problem="regression", dataset="plane", learning_rate=10.0))
    start = t.network.params.copy()
    t.set_bias(2, 0, 1e308)  # lr times the output's error overflows in the first step
    start[-1] = 1e308
    assert t.train_batches(1) == 0
    assert (t.status, t.divergence, t.batch_position) == ("diverged", "nonfinite", 0)
    assert "NaN or infinite" in t.status_message
    np.testing.assert_array_equal(t.network.params, start)
