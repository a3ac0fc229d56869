"""Optimizers: turn a flat mean data gradient into an in-place parameter update.

Every optimizer works on one flat float64 parameter vector laid out as all weight matrices
first (``params[:weight_count]``) and then all biases. It is built once per network::

    opt = OPTIMIZERS[cfg.optimizer](size, weight_count)
    opt.step(params, grads, lr, cfg)      # once per mini-batch

``step`` never allocates: state and scratch buffers are made in ``__init__`` and every
NumPy call writes through ``out=`` or an in-place operator, because it runs every
mini-batch (~25 per epoch) on vectors of a few dozen entries, where each NumPy call costs
about as much as the arithmetic. ``grads`` is only read; the caller may reuse it.

Hyper-parameters are read from ``cfg`` on every call, so live changes apply on the next
step. The definitions, with g the gradient, lr the learning rate and t the step count:

- ``sgd``: p <- p - lr g.
- ``momentum`` (Sutskever et al. 2013, velocity in parameter units, as Keras):
  v <- mu v - lr g; p <- p + v. With ``cfg.nesterov``: p <- p + mu v - lr g (using the new
  v). Because lr sits inside v, a live learning-rate change only scales new gradients.
- ``rmsprop`` (Hinton): s <- rho s + (1 - rho) g^2; p <- p - lr g / (sqrt(s) + eps), with
  rho = ``cfg.rho`` and no bias correction (as Keras and PyTorch). So the first step is
  lr g / (sqrt(1 - rho) |g|), about 3.2 lr with the default rho 0.9 (31.6 lr with 0.999:
  hence its own field rather than Adam's beta2).
- ``adam`` (Kingma & Ba 2015): m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2;
  p <- p - lr m_hat / (sqrt(v_hat) + eps), m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t).
  The bias corrections use the current betas and the total step count t.
- ``perceptron`` (Rosenblatt): the SGD step p <- p - lr g, where g is the gradient of the
  perceptron criterion rather than of the loss: the trainer passes the head's
  ``perceptron_delta`` (thresholded prediction minus target) as the output error, so each
  misclassified point moves w by lr (t - y_hat) x and a correct one not at all. Only a
  network with no hidden layer (the config checks) and a classification problem.
- ``adamw`` (Loshchilov & Hutter 2019, scaled by lr as in PyTorch): before the Adam step,
  weights only (not biases) shrink: w <- w (1 - lr ``cfg.weight_decay``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


class Optimizer:
    """Base class: holds the sizes and the step count, and (de)serializes named buffers.

    Parameters
    ----------
    size : int
        Length of the flat parameter vector.
    weight_count : int
        Number of leading entries that are weights (the rest are biases).
    """

    name = ""
    update_rule = ""  # the step in words (shown by the backprop trace)
    _buffers: tuple[str, ...] = ()  # attribute names of the state arrays, each (size,)
    criterion = "loss"  # what the trainer backpropagates: the loss, or "perceptron"

    def __init__(self, size: int, weight_count: int, members: int | None = None) -> None:
        if not 0 <= weight_count <= size:
            raise ValueError(f"weight_count must be in 0..{size} (size), got {weight_count}")
        self.size = size
        self.weight_count = weight_count
        # Stacked (engine.cohort): params are (members, size), every hyper-parameter of
        # cfg and lr a (members, 1) column, and `steps` a (members, 1) column of counts.
        self.stacked = members is not None
        shape = (size,) if members is None else (members, size)
        self.steps = 0 if members is None else np.zeros((members, 1))  # updates (Adam's t)
        self._scratch = np.zeros(shape)  # reused by step; holds nothing between calls
        self._rate: tuple[Any, Any] = (None, None)  # (lr, the operand `_operand` made of it)
        # One row per buffer, so an optimizer may update all of them in a single call.
        self._state = np.zeros((len(self._buffers), *shape))
        for row, buffer in enumerate(self._buffers):
            setattr(self, buffer, self._state[row])

    def step(self, params: np.ndarray, grads: np.ndarray, lr: float, cfg: Any) -> None:
        """Update ``params`` (size,) in place from the mean data gradient ``grads`` (size,)."""
        raise NotImplementedError

    def _operand(self, lr: Any) -> Any:
        """`lr` as a ufunc operand: a float as a 0-d array, made once per lr object (a
        float operand is converted on every call, half the cost of a step's multiply)."""
        if lr is not self._rate[0]:
            self._rate = (lr, np.array(lr) if isinstance(lr, float) else lr)
        return self._rate[1]

    def state_dict(self) -> dict:
        """JSON-able state: name, sizes, step count and every buffer as a list of floats."""
        state: dict = {
            "name": self.name,
            "size": self.size,
            "weight_count": self.weight_count,
            "steps": self.steps,
        }
        for buffer in self._buffers:
            state[buffer] = getattr(self, buffer).tolist()
        return state

    def load_state_dict(self, state: dict) -> None:
        """Restore a ``state_dict()`` exactly, so the next step continues bit for bit."""
        if state.get("name") != self.name:
            raise ValueError(f"optimizer state is for {state.get('name')!r}, not {self.name!r}")
        if state.get("size") != self.size or state.get("weight_count") != self.weight_count:
            raise ValueError(
                f"optimizer state is for size {state.get('size')} with "
                f"{state.get('weight_count')} weights, not {self.size} with {self.weight_count}"
            )
        steps = state.get("steps")
        if not isinstance(steps, int) or steps < 0:
            raise ValueError(f"optimizer state 'steps' must be an int >= 0, got {steps!r}")
        arrays = {}
        for buffer in self._buffers:
            values = np.asarray(state.get(buffer), dtype=np.float64)
            if values.shape != (self.size,):
                raise ValueError(
                    f"optimizer state {buffer!r} must hold {self.size} numbers, "
                    f"got shape {values.shape}"
                )
            arrays[buffer] = values
        self.steps = steps
        for buffer, values in arrays.items():
            # Copy into the existing arrays: step() may hold views of them.
            getattr(self, buffer)[...] = values


class SGD(Optimizer):
    """Plain stochastic gradient descent: p <- p - lr g."""

    name = "sgd"
    update_rule = "w ← w − lr·∂L/∂w"

    def step(self, params: np.ndarray, grads: np.ndarray, lr: float, cfg: Any) -> None:
        """Update ``params`` (size,) in place from the mean data gradient ``grads`` (size,)."""
        np.multiply(grads, self._operand(lr), self._scratch)
        params -= self._scratch
        self.steps += 1


class Perceptron(SGD):
    """The perceptron learning rule: SGD on the perceptron criterion (see the module doc)."""

    name = "perceptron"
    criterion = "perceptron"
    update_rule = "w ← w + lr·(t − ŷ)·x on misclassified points"


class Momentum(Optimizer):
    """Heavy-ball momentum, or Nesterov's accelerated gradient with ``cfg.nesterov``."""

    name = "momentum"
    update_rule = "v ← μ·v − lr·∂L/∂w; w ← w + v"
    _buffers = ("velocity",)  # v, in parameter units (already scaled by lr)

    def step(self, params: np.ndarray, grads: np.ndarray, lr: float, cfg: Any) -> None:
        """Update ``params`` (size,) in place from the mean data gradient ``grads`` (size,)."""
        mu = cfg.momentum
        velocity, scratch = self.velocity, self._scratch
        np.multiply(grads, self._operand(lr), scratch)  # lr g
        velocity *= mu
        velocity -= scratch
        if cfg.nesterov:
            # The look-ahead step: p <- p + mu v_new - lr g.
            params -= scratch
            np.multiply(velocity, mu, out=scratch)
            params += scratch
        else:
            params += velocity
        self.steps += 1


class RMSProp(Optimizer):
    """RMSprop: divide the step by a running root mean square of the gradient."""

    name = "rmsprop"
    update_rule = "s ← ρ·s + (1 − ρ)·g²; w ← w − lr·g / (√s + ε)"
    _buffers = ("square_avg",)  # s, running mean of g^2 with decay cfg.rho

    def step(self, params: np.ndarray, grads: np.ndarray, lr: float, cfg: Any) -> None:
        """Update ``params`` (size,) in place from the mean data gradient ``grads`` (size,)."""
        square_avg, scratch = self.square_avg, self._scratch
        rho = cfg.rho
        square_avg *= rho
        np.multiply(grads, grads, out=scratch)
        scratch *= 1.0 - rho
        square_avg += scratch
        np.sqrt(square_avg, out=scratch)
        scratch += cfg.epsilon
        np.divide(grads, scratch, out=scratch)
        scratch *= lr
        params -= scratch
        self.steps += 1


class Adam(Optimizer):
    """Adam: bias-corrected running means of the gradient and of its square."""

    name = "adam"
    update_rule = "m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; w ← w − lr·m̂ / (√v̂ + ε)"
    _buffers = ("m", "v")  # first and second raw (uncorrected) moment estimates

    def __init__(self, size: int, weight_count: int, members: int | None = None) -> None:
        super().__init__(size, weight_count, members)
        self._g_and_g2 = np.zeros_like(self._state)  # scratch: rows g and g^2
        self._g, self._g2 = self._g_and_g2  # row views, made once (indexing costs a call)
        # Full rows rather than a broadcast (2, 1) column: same-shape ufuncs are faster.
        self._keep = np.zeros_like(self._state)  # rows b1 and b2, multiplying _state = (m, v)
        self._take = np.zeros_like(self._state)  # rows 1 - b1 and 1 - b2
        self._betas: tuple[float, float] | None = None  # the betas _keep/_take were built for

    def step(self, params: np.ndarray, grads: np.ndarray, lr: float, cfg: Any) -> None:
        """Update ``params`` (size,) in place from the mean data gradient ``grads`` (size,)."""
        self._adam_step(params, grads, lr, cfg)

    def _adam_step(self, params: np.ndarray, grads: np.ndarray, lr: float, cfg: Any) -> None:
        beta1, beta2 = cfg.beta1, cfg.beta2
        if self.stacked or (beta1, beta2) != self._betas:
            self._betas = (beta1, beta2)
            self._keep[0], self._keep[1] = beta1, beta2
            self._take[0], self._take[1] = 1.0 - beta1, 1.0 - beta2
        self.steps += 1
        t = self.steps
        # (m, v) <- (b1, b2) (m, v) + (1 - b1, 1 - b2) (g, g^2), both rows per call. (Not
        # m + (1 - b)(g - m): with a small beta that cancels catastrophically when g is far
        # smaller than the running average.)
        g_and_g2 = self._g_and_g2
        np.copyto(self._g, grads)
        np.multiply(grads, grads, out=self._g2)
        g_and_g2 *= self._take
        self._state *= self._keep
        self._state += g_and_g2
        # Kingma & Ba's efficient form (end of their section 2): fold both corrections into
        # the step size and epsilon, so lr m_hat / (sqrt(v_hat) + eps) costs no extra calls.
        if self.stacked:
            root_correction, bias_correction = _corrections(beta1, beta2, t)
        else:
            root_correction, bias_correction = math.sqrt(1.0 - beta2**t), 1.0 - beta1**t
        step_size = lr * root_correction / bias_correction
        scratch = self._scratch
        np.sqrt(self.v, out=scratch)
        scratch += cfg.epsilon * root_correction
        np.divide(self.m, scratch, out=scratch)
        scratch *= step_size
        params -= scratch


def _corrections(beta1: np.ndarray, beta2: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, ...]:
    """Adam's corrections per member, (members, 1) columns, in scalar float arithmetic.

    Computed as the lone optimizer computes them (C pow and sqrt per member) because a
    vectorised np.power may use a SIMD routine that differs in the last bit.
    """
    columns = zip(beta1[:, 0].tolist(), beta2[:, 0].tolist(), t[:, 0].tolist(), strict=True)
    rows = [(math.sqrt(1.0 - b2**n), 1.0 - b1**n) for b1, b2, n in columns]
    root, bias = np.array(rows).T
    return root[:, None], bias[:, None]


class AdamW(Adam):
    """Adam with decoupled weight decay on the weights only (biases are not decayed)."""

    name = "adamw"
    update_rule = "w ← w·(1 − lr·decay), then the Adam step"

    def step(self, params: np.ndarray, grads: np.ndarray, lr: float, cfg: Any) -> None:
        """Update ``params`` (size,) in place from the mean data gradient ``grads`` (size,)."""
        decay = lr * cfg.weight_decay
        if self.stacked:
            params[:, : self.weight_count] *= 1.0 - decay
        elif decay:
            params[: self.weight_count] *= 1.0 - decay
        self._adam_step(params, grads, lr, cfg)


OPTIMIZERS: dict[str, type[Optimizer]] = {
    optimizer.name: optimizer for optimizer in (SGD, Momentum, RMSProp, Adam, AdamW, Perceptron)
}
