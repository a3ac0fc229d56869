"""Trainer.batch_position: how far into the current epoch training has got."""

import pytest

from engine import Config, Trainer

# 500 points at 50% train: 250 training points, batches of 100 -> 100 + 100 + 50 per epoch.
BATCH = 100
N_TRAIN = 250


def _trainer() -> Trainer:
    t = Trainer(Config(batch_size=BATCH))
    assert len(t.dataset.train) == N_TRAIN
    return t


def test_a_new_trainer_is_at_the_start_of_an_epoch():
    assert _trainer().batch_position == 0


@pytest.mark.parametrize(
    ("batches", "position", "epoch"),
    [(1, 100, 0), (2, 200, 0), (3, 0, 1), (4, 100, 1), (5, 200, 1)],
)
def test_batch_position_counts_the_points_used_and_wraps_when_the_pass_completes(
    batches, position, epoch
):
    t = _trainer()
    t.train_batches(batches)
    assert (t.batch_position, t.epoch) == (position, epoch)


def test_batch_position_equals_min_of_batches_times_size_and_the_training_set_within_an_epoch():
    t = _trainer()
    for k in range(1, 3):
        t.train_batches(1)
        assert t.batch_position == min(k * BATCH, N_TRAIN)


def test_whole_epochs_and_a_reset_leave_the_position_at_zero():
    t = _trainer()
    t.train_batches(1)
    t.train_epochs(1)  # finishes the started epoch
    assert (t.batch_position, t.epoch) == (0, 1)
    t.train_batches(2)
    t.reset()
    assert t.batch_position == 0


def test_a_restored_state_keeps_the_position_inside_the_epoch():
    t = _trainer()
    t.train_batches(2)
    assert Trainer.from_state(t.export_state()).batch_position == 200


def test_batch_position_is_read_only():
    with pytest.raises(AttributeError):
        _trainer().batch_position = 5
