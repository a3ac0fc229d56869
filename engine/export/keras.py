"""The network as a self-contained Keras 3 script (any backend: TensorFlow, JAX, PyTorch)."""

from __future__ import annotations

from engine.export.spec import (
    DATA_FILENAME,
    FEATURE_TREES,
    NetworkSpec,
    literal,
    load_data_function,
    number,
)
from engine.export.training import INIT_NOTES, floor

# Every engine activation as Keras's own: a Dense layer's `activation`, or (leaky_relu,
# whose Keras default slope is 0.2) its own layer after a linear Dense.
ACTIVATIONS = {
    "relu": '"relu"',
    "elu": '"elu"',
    "softplus": '"softplus"',
    "swish": '"silu"',  # swish
    # The playground's GELU is the tanh approximation; Keras's "gelu" is the exact one.
    "gelu": "lambda z: keras.activations.gelu(z, approximate=True)",
    "sine": "keras.ops.sin",
    # Heaviside step (Keras has none): 1 for z >= 0, else 0, in z's float type.
    "step": "lambda z: keras.ops.cast(keras.ops.greater_equal(z, 0.0), z.dtype)",
    "tanh": '"tanh"',
    "sigmoid": '"sigmoid"',
    "linear": '"linear"',
    "softmax": '"softmax"',
}
CALLS = {"mul": "{0} * {1}", "sin": "keras.ops.sin({0})", "cos": "keras.ops.cos({0})"}
INITIALIZERS = {
    "uniform": ("keras.initializers.RandomUniform(-0.5, 0.5)", "keras.initializers.Constant(0.1)"),
    "glorot": ('"glorot_uniform"', '"zeros"'),
    "he": (
        'keras.initializers.VarianceScaling(2.0, "fan_in", "untruncated_normal")',
        '"zeros"',
    ),
    "zeros": ('"zeros"', '"zeros"'),
}

HEADER = '''\
"""A {problem} network from the playground, in Keras 3.

Exported from the playground at epoch {epoch}. Run it next to {data} with any Keras 3
backend (TensorFlow, JAX or PyTorch), for example:

    KERAS_BACKEND=torch python {filename} --epochs 100

It rebuilds the network (features, layers, activations, output head), loads the trained
weights, then trains on the same data with the same setup.
"""

import argparse
import csv
from pathlib import Path

import keras
import numpy as np

# The playground computes in float64. Keras keeps weights in float64 with this, but (3.15)
# still multiplies matrices in float32, so outputs agree with the playground to ~1e-5.
keras.config.set_floatx("float64")
DATA_FILE = Path(__file__).with_name("{data}")

# The trained weights, layer by layer as the playground shows them: W[i][j] connects
# neuron i of the layer below (or input feature i) to neuron j of this layer. Keras keeps
# a Dense kernel in the same (inputs, units) layout.
WEIGHTS = {{
{weights}}}


def build_model(trained=True):
    """The network; with `trained`, the playground's weights, else new ones.

    New weights are drawn as the playground draws them: {init}.
    """
    init = {{
        "kernel_initializer": {kernel_init},
        "bias_initializer": {bias_init},
    }}
    points = keras.Input(shape=(2,), name="points")  # the raw (x1, x2)
    x1, x2 = points[:, 0:1], points[:, 1:2]
    # The input features ({names}), computed from the point as the playground does.
    x = {features}
{layers}    model = keras.Model(points, output, name="playground")
    if trained:
        for name, (w, b) in WEIGHTS.items():
            model.get_layer(name).set_weights([np.array(w), np.array(b)])
    return model


{load_data}

# ---- Training, with the playground's setup --------------------------------------------
LEARNING_RATE = {lr}
BATCH_SIZE = {batch}
SHUFFLE = {shuffle}  # reshuffle the training rows every epoch (False: the CSV's order)
REGULARIZATION_RATE = {rate}  # regularization: {regularization}


def make_targets(labels):
    """What the output is trained towards, from the CSV's labels."""
{targets}


{loss}

def make_optimizer():
{optimizer}

def kernels(model):
    """Every Dense layer's weight matrix (biases are never regularized)."""
    return [layer.kernel for layer in model.layers if isinstance(layer, keras.layers.Dense)]


class PlaygroundRegularization(keras.callbacks.Callback):
    """The regularization step, after each optimizer step, from the weights before it."""

    def on_train_batch_begin(self, batch, logs=None):
        self.before = [kernel.numpy() for kernel in kernels(self.model)]

    def on_train_batch_end(self, batch, logs=None):
        lr = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        for kernel, w_before in zip(kernels(self.model), self.before, strict=True):
            w = kernel.numpy()
{regularize}

def callbacks(monitor):
    """The learning-rate schedule, regularization and early stopping, as Keras callbacks."""
    out = [PlaygroundRegularization()] if REGULARIZATION_RATE else []
{schedule}{early}    return out


def train(model, data, epochs):
    """Mini-batches of BATCH_SIZE over the training points, `epochs` times.

    Returns the training loss of every epoch (Keras reports the mean over the epoch's
    batches, while the playground shows the loss after the epoch).
    """
    points, labels = data["train"]
    val_points, val_labels = data["validation"]
    validation = (val_points, make_targets(val_labels)) if len(val_points) else None
    model.compile(optimizer=make_optimizer(), loss=loss_fn)
    history = model.fit(
        points,
        make_targets(labels),
        batch_size=BATCH_SIZE,
        epochs=epochs,
        shuffle=SHUFFLE,
        validation_data=validation,
        callbacks=callbacks("val_loss" if validation else "loss"),
        verbose=2,
    )
    return history.history["loss"]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--from-scratch", action="store_true", help="start from new weights")
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    model = build_model(trained=not args.from_scratch)
    model.summary()
    data = load_data()
    train(model, data, args.epochs)
    test_points, test_labels = data["test"]
    if len(test_points):
        loss = model.evaluate(test_points, make_targets(test_labels), verbose=0)
        print(f"test loss {{loss:.4f}}")
'''


def _feature(tree: tuple) -> str:
    if len(tree) == 1:
        return tree[0]
    return CALLS[tree[0]].format(*(_feature(t) for t in tree[1:]))


def _layers(spec: NetworkSpec) -> str:
    lines = []
    for layer in spec.layers:
        units, name = layer.weights.shape[1], layer.name
        target = "output" if name == "output" else "x"
        activation = layer.activation
        if activation == "leaky_relu":
            lines.append(f'    x = keras.layers.Dense({units}, name="{name}", **init)(x)')
            lines.append(
                f'    x = keras.layers.LeakyReLU(negative_slope=0.01, name="{name}_leaky_relu")(x)'
            )
        else:
            act = ACTIVATIONS[activation]
            dense = f'keras.layers.Dense({units}, activation={act}, name="{name}", **init)'
            lines.append(f"    {target} = {dense}(x)")
        if layer.dropout:
            lines.append(f"    x = keras.layers.Dropout({layer.dropout!r})(x)")
    return "".join(line + "\n" for line in lines)


def _targets(spec: NetworkSpec) -> tuple[str, str]:
    square = (
        "def loss_fn(targets, outputs):\n"
        '    """The square loss: 1/2 (output - target)^2 summed over the output units (Keras\n'
        "    averages it over the batch). Keras's MeanSquaredError would average over the\n"
        '    units and drop the 1/2, scaling the gradient."""\n'
        "    return 0.5 * keras.ops.sum((outputs - targets) ** 2, axis=-1)\n"
    )
    if spec.head == "softmax":
        return (
            "    return labels.astype(int)  # the class index",
            "# Cross-entropy of the softmax output against the class index.\n"
            "loss_fn = keras.losses.SparseCategoricalCrossentropy()\n",
        )
    if spec.head == "sigmoid":
        return (
            "    return (labels == 1).astype(float)[:, None]  # 1 for class 1, else 0",
            "# Binary cross-entropy of the sigmoid output.\n"
            "loss_fn = keras.losses.BinaryCrossentropy()\n",
        )
    if spec.head == "linear":
        return "    return labels[:, None]  # regression: the target value itself", square
    if spec.units == 1:
        return "    return np.where(labels == 1, 1.0, -1.0)[:, None]  # class 1: +1, 0: -1", square
    return (
        "    # One tanh unit per class: +1 for the point's class, -1 for the others.\n"
        f"    return 2.0 * np.eye({spec.units})[labels.astype(int)] - 1.0",
        square,
    )


def _optimizer(spec: NetworkSpec) -> str:
    cfg = spec.config
    lr = "learning_rate=LEARNING_RATE"
    if cfg.optimizer == "sgd":
        return f"    return keras.optimizers.SGD({lr})\n"
    if cfg.optimizer == "momentum":
        return (
            f"    return keras.optimizers.SGD({lr}, momentum={number(cfg.momentum)}, "
            f"nesterov={cfg.nesterov})\n"
        )
    if cfg.optimizer == "rmsprop":
        return (
            f"    return keras.optimizers.RMSprop({lr}, rho={number(cfg.rho)}, "
            f"epsilon={number(cfg.epsilon)})\n"
        )
    betas = f"beta_1={number(cfg.beta1)}, beta_2={number(cfg.beta2)}, epsilon={number(cfg.epsilon)}"
    if cfg.optimizer == "adam":
        return f"    return keras.optimizers.Adam({lr}, {betas})\n"
    return (
        f"    optimizer = keras.optimizers.AdamW(\n        {lr}, "
        f"weight_decay={number(cfg.weight_decay)}, {betas}\n    )\n"
        "    # Weight decay on the weights only: the playground never decays biases.\n"
        '    optimizer.exclude_from_weight_decay(var_names=["bias"])\n'
        "    return optimizer\n"
    )


def _regularize(spec: NetworkSpec) -> str:
    if spec.config.regularization == "l2":
        return (
            "            # L2: each weight (not bias) shrinks by lr * rate * w_before, as a\n"
            "            # step of its own after the optimizer's (as the reference does it).\n"
            "            kernel.assign(w - lr * REGULARIZATION_RATE * w_before)\n"
        )
    return (
        "            # L1: each weight (not bias) moves towards 0 by lr * rate and stops\n"
        "            # at exactly 0 (the proximal step of rate * |w|): a weight at 0 stays\n"
        "            # there while its gradient step is smaller than lr * rate, where plain\n"
        "            # L1 would hop from side to side of 0. No Keras optimizer does this.\n"
        "            shrunk = np.maximum(np.abs(w) - lr * REGULARIZATION_RATE, 0.0)\n"
        "            kernel.assign(np.sign(w) * shrunk)\n"
    )


def _schedule(spec: NetworkSpec) -> str:
    cfg = spec.config
    base, gamma, step = "LEARNING_RATE", number(cfg.schedule_gamma), cfg.schedule_step
    low = number(floor(cfg))
    cosine = f"0.5 * (1 + np.cos(np.pi * (epoch % {step}) / {step}))"
    formula = {
        "constant": None,
        "step": f"{base} * {gamma} ** (epoch // {step})",
        "exponential": f"{base} * {gamma} ** epoch",
        "cosine": f"{low} + ({base} - {low}) * {cosine}",
    }
    if cfg.schedule == "reduce_on_plateau":
        return (
            f"    # Cut the rate by {gamma} after {cfg.schedule_patience} epochs without a\n"
            "    # lower loss.\n"
            "    out.append(\n        keras.callbacks.ReduceLROnPlateau(\n"
            f"            monitor, factor={gamma}, patience={cfg.schedule_patience}, "
            f"min_delta=0.0, min_lr={low}\n        )\n    )\n"
        )
    if formula[cfg.schedule] is None:
        return "    # (the learning rate stays constant)\n"
    return (
        f"    # The {cfg.schedule} schedule: the rate of each epoch (0, 1, ...).\n"
        "    out.append(\n"
        "        keras.callbacks.LearningRateScheduler(\n"
        f"            lambda epoch, lr: {formula[cfg.schedule]}\n        )\n"
        "    )\n"
    )


def _early(spec: NetworkSpec) -> str:
    cfg = spec.config
    if not cfg.early_stopping:
        return ""
    return (
        "    # Early stopping on the validation loss.\n"
        "    out.append(\n        keras.callbacks.EarlyStopping(\n"
        f'            "val_loss", patience={cfg.patience}, '
        f"restore_best_weights={cfg.restore_best}\n"
        "        )\n    )\n"
    )


def keras_script(spec: NetworkSpec, filename: str) -> str:
    """The whole script as text."""
    cfg = spec.config
    columns = [_feature(FEATURE_TREES[f]) for f in spec.features]
    features = (
        columns[0]
        if len(columns) == 1
        else 'keras.layers.Concatenate(name="features")([' + ", ".join(columns) + "])"
    )
    weights = "".join(
        f'    "{layer.name}": (\n        {literal(layer.weights, 8)},\n'
        f"        {literal(layer.biases, 8)},\n    ),\n"
        for layer in spec.layers
    )
    targets, loss = _targets(spec)
    regularize = cfg.regularization != "none" and cfg.regularization_rate > 0.0
    kernel_init, bias_init = INITIALIZERS[cfg.init]
    return HEADER.format(
        problem=spec.problem,
        epoch=spec.epoch,
        data=DATA_FILENAME,
        filename=filename,
        weights=weights,
        init=INIT_NOTES[cfg.init],
        kernel_init=kernel_init,
        bias_init=bias_init,
        names=", ".join(spec.features),
        features=features,
        layers=_layers(spec),
        load_data=load_data_function(spec, "np.array"),
        lr=number(cfg.learning_rate),
        batch=spec.batch_size,
        shuffle=cfg.shuffle,
        rate=number(cfg.regularization_rate if regularize else 0.0),
        regularization=cfg.regularization if regularize else "none",
        targets=targets,
        loss=loss,
        optimizer=_optimizer(spec),
        regularize=_regularize(spec) if regularize else "            pass\n",
        schedule=_schedule(spec),
        early=_early(spec),
    )
