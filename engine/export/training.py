"""The PyTorch script's training part: targets, loss, optimizer, schedule, regularization."""

from __future__ import annotations

from engine.config import Config
from engine.export.spec import NetworkSpec, number

INIT_NOTES = {  # short: they end a docstring line in the scripts
    "uniform": "W uniform in ±0.5, biases 0.1",
    "glorot": "Glorot uniform W, biases 0",
    "he": "He normal W (var 2/fan_in), biases 0",
    "zeros": "all 0 (the symmetry never breaks)",
}
_TORCH_INIT = {
    "uniform": ("nn.init.uniform_(layer.weight, -0.5, 0.5)", "nn.init.constant_(layer.bias, 0.1)"),
    "glorot": ("nn.init.xavier_uniform_(layer.weight)", "nn.init.zeros_(layer.bias)"),
    "he": (
        'nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")',
        "nn.init.zeros_(layer.bias)",
    ),
    "zeros": ("nn.init.zeros_(layer.weight)", "nn.init.zeros_(layer.bias)"),
}


def torch_init(init: str) -> str:
    """The body of the script's `initialize` loop."""
    return "".join(f"        {line}\n" for line in _TORCH_INIT[init])


def floor(cfg: Config) -> float:
    """The schedules' lowest learning rate (engine.schedules: never above the base rate)."""
    return min(cfg.schedule_min_lr, cfg.learning_rate)


def _targets_and_loss(spec: NetworkSpec) -> str:
    if spec.head == "softmax":
        return (
            "    # Cross-entropy of the softmax output; PyTorch's version takes the logits\n"
            "    # (it applies the softmax itself, more accurately) and the class indices.\n"
            "    return nn.functional.cross_entropy(model.logits(points), labels.long())\n"
        )
    if spec.head == "sigmoid":
        return (
            "    # Binary cross-entropy of the sigmoid output, from the logits (more accurate);\n"
            "    # the target is 1 for class 1 and 0 for class 0.\n"
            "    targets = (labels == 1).double()\n"
            "    logits = model.logits(points)[:, 0]\n"
            "    return nn.functional.binary_cross_entropy_with_logits(logits, targets)\n"
        )
    if spec.head == "linear":
        target = "    targets = labels[:, None]  # regression: the target value itself\n"
    elif spec.units == 1:
        target = (
            "    # Class 1: +1, class 0: -1.\n"
            "    targets = torch.where(labels == 1, 1.0, -1.0)[:, None]\n"
        )
    else:
        target = (
            "    # One tanh unit per class: +1 for the point's class, -1 for the others.\n"
            f"    targets = 2.0 * nn.functional.one_hot(labels.long(), {spec.units}) - 1.0\n"
        )
    return (
        target + "    # The square loss: 1/2 (output - target)^2, summed over the output units,\n"
        "    # averaged over the points.\n"
        "    return 0.5 * ((model(points) - targets) ** 2).sum(dim=1).mean()\n"
    )


def _optimizer(cfg: Config) -> str:
    lr = "LEARNING_RATE"
    if cfg.optimizer == "sgd":
        return f"    return torch.optim.SGD(model.parameters(), lr={lr})\n"
    if cfg.optimizer == "momentum":
        return (
            "    # PyTorch keeps the velocity in gradient units, the playground in weight\n"
            "    # units (v <- mu v - lr g): the same steps while the learning rate is constant.\n"
            f"    return torch.optim.SGD(\n        model.parameters(), lr={lr}, "
            f"momentum={number(cfg.momentum)}, nesterov={cfg.nesterov}\n    )\n"
        )
    if cfg.optimizer == "rmsprop":
        return (
            f"    return torch.optim.RMSprop(\n        model.parameters(), lr={lr}, "
            f"alpha={number(cfg.rho)}, eps={number(cfg.epsilon)}\n    )\n"
        )
    betas = f"betas=({number(cfg.beta1)}, {number(cfg.beta2)}), eps={number(cfg.epsilon)}"
    if cfg.optimizer == "adam":
        return f"    return torch.optim.Adam(model.parameters(), lr={lr}, {betas})\n"
    return (
        "    # Weight decay on the weights only: the playground never decays biases.\n"
        '    weights = [p for name, p in model.named_parameters() if name.endswith("weight")]\n'
        '    biases = [p for name, p in model.named_parameters() if name.endswith("bias")]\n'
        "    groups = [\n"
        f'        {{"params": weights, "weight_decay": {number(cfg.weight_decay)}}},\n'
        '        {"params": biases, "weight_decay": 0.0},\n'
        "    ]\n"
        f"    return torch.optim.AdamW(groups, lr={lr}, {betas})\n"
    )


def _schedule(cfg: Config) -> str:
    s = "torch.optim.lr_scheduler."
    step, gamma = cfg.schedule_step, number(cfg.schedule_gamma)
    if cfg.schedule == "constant":
        return "    return None  # the learning rate stays constant\n"
    if cfg.schedule == "step":
        return f"    return {s}StepLR(optimizer, step_size={step}, gamma={gamma})\n"
    if cfg.schedule == "exponential":
        return f"    return {s}ExponentialLR(optimizer, gamma={gamma})\n"
    if cfg.schedule == "cosine":
        return (
            "    # Cosine annealing from the rate down to the floor, restarting every period.\n"
            f"    return {s}CosineAnnealingWarmRestarts(\n"
            f"        optimizer, T_0={step}, eta_min={number(floor(cfg))}\n    )\n"
        )
    return (
        f"    # Cut the rate by {gamma} after {cfg.schedule_patience} epochs without a lower loss\n"
        "    # (PyTorch cuts once the count passes its patience, hence the - 1).\n"
        f"    return {s}ReduceLROnPlateau(\n        optimizer, factor={gamma}, "
        f"patience={cfg.schedule_patience - 1}, threshold=0.0,\n"
        f"        min_lr={number(floor(cfg))}, eps=0.0\n    )\n"
    )


def _regularize(cfg: Config) -> str:
    if cfg.regularization == "none" or cfg.regularization_rate == 0.0:
        return "    pass  # no regularization in this run\n"
    if cfg.regularization == "l2":
        return (
            "    # L2: each weight (not bias) shrinks by lr * rate * w_before. With plain SGD\n"
            "    # this equals torch's weight_decay=rate; with the other optimizers weight_decay\n"
            "    # would go through their running averages, so the step is kept separate, as\n"
            "    # the playground (and the reference) do.\n"
            "    with torch.no_grad():\n"
            "        for w, w_before in zip(weights(model), before):\n"
            "            w -= lr * REGULARIZATION_RATE * w_before\n"
        )
    return (
        "    # L1: each weight (not bias) moves towards 0 by lr * rate and stops at exactly 0\n"
        "    # (the proximal step of rate * |w|, soft-thresholding): a weight at 0 stays there\n"
        "    # while its gradient step is smaller than lr * rate, where plain L1 would make it\n"
        "    # hop from side to side of 0. No PyTorch optimizer does this, hence the few lines.\n"
        "    with torch.no_grad():\n"
        "        for w in weights(model):\n"
        "            shrunk = torch.clamp(w.abs() - lr * REGULARIZATION_RATE, min=0.0)\n"
        "            w.copy_(torch.sign(w) * shrunk)\n"
    )


SETUP = '''

# ---- Training, with the playground's setup --------------------------------------------
LEARNING_RATE = {lr}
BATCH_SIZE = {batch}
SHUFFLE = {shuffle}  # reshuffle the training rows every epoch (False: the CSV's order)
REGULARIZATION_RATE = {rate}  # {regularization}


def loss_fn(model, points, labels):
    """The mean loss of a batch (what training minimises)."""
{loss}

def make_optimizer(model):
{optimizer}

def make_schedule(optimizer):
    """The learning-rate schedule, stepped once per epoch."""
{schedule}

def weights(model):
    """Every weight matrix (biases are never regularized)."""
    return [m.weight for m in model.modules() if isinstance(m, nn.Linear)]


def regularize(model, before, lr):
    """The regularization step, after the optimizer's step, from the weights `before` it."""
{regularize}

def train(model, data, epochs):
    """Mini-batches of BATCH_SIZE over the training points, `epochs` times.

    The last batch of an epoch may be smaller. Returns the training loss of every epoch.
    """
    points, labels = data["train"]
    monitored = data["validation"] if len(data["validation"][0]) else data["train"]
    optimizer = make_optimizer(model)
    schedule = make_schedule(optimizer){early_setup}
    losses = []
    for epoch in range(epochs):
        model.train()  # dropout on
        order = torch.randperm(len(points)) if SHUFFLE else torch.arange(len(points))
        lr = optimizer.param_groups[0]["lr"]
        for start in range(0, len(points), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            optimizer.zero_grad()
            loss_fn(model, points[batch], labels[batch]).backward()
            before = [w.detach().clone() for w in weights(model)]
            optimizer.step()
            regularize(model, before, lr)
        model.eval()  # dropout off
        with torch.no_grad():
            losses.append(loss_fn(model, points, labels).item())
            watched = loss_fn(model, *monitored).item()
{schedule_step}{early_step}
    return losses
'''

EARLY_SETUP = """
    # Early stopping: keep the weights of the lowest validation loss; stop after
    # PATIENCE epochs without a lower one.
    best, best_epoch, best_state = float("inf"), 0, None"""

EARLY_STEP = """
        if watched < best:
            best, best_epoch = watched, epoch
            best_state = {{k: v.clone() for k, v in model.state_dict().items()}}
        elif epoch - best_epoch >= {patience}:
            print(f"early stop at epoch {{epoch + 1}}: best validation loss {{best:.4f}}")
{restore}            break"""


def torch_training(spec: NetworkSpec) -> str:
    """The script's training part."""
    cfg = spec.config
    if cfg.schedule == "constant":
        schedule_step = ""
    elif cfg.schedule == "reduce_on_plateau":
        schedule_step = "        schedule.step(watched)  # the validation loss, else training\n"
    else:
        schedule_step = "        schedule.step()\n"
    early = cfg.early_stopping
    restore = "            model.load_state_dict(best_state)\n" if cfg.restore_best else ""
    return SETUP.format(
        lr=number(cfg.learning_rate),
        batch=spec.batch_size,
        shuffle=cfg.shuffle,
        rate=number(cfg.regularization_rate),
        regularization=f"regularization: {cfg.regularization}",
        loss=_targets_and_loss(spec),
        optimizer=_optimizer(cfg),
        schedule=_schedule(cfg),
        regularize=_regularize(cfg),
        early_setup=EARLY_SETUP if early else "",
        schedule_step=schedule_step.rstrip("\n"),
        early_step=EARLY_STEP.format(patience=cfg.patience, restore=restore) if early else "",
    )
