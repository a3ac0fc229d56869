// Display text for wire names. Unknown names fall back to a readable form of the name.

const LABELS = {
  relu: "ReLU",
  leaky_relu: "Leaky ReLU",
  elu: "ELU",
  gelu: "GELU",
  tanh: "Tanh",
  l1: "L1",
  l2: "L2",
  sgd: "SGD",
  rmsprop: "RMSprop",
  adam: "Adam",
  adamw: "AdamW",
  x1: "X₁",
  x2: "X₂",
  x1_squared: "X₁²",
  x2_squared: "X₂²",
  x1_x2: "X₁X₂",
  sin_x1: "sin(X₁)",
  sin_x2: "sin(X₂)",
  cos_x1: "cos(X₁)",
  cos_x2: "cos(X₂)",
  he: "He",
  glorot: "Glorot",
  cross_entropy: "Cross-entropy (softmax)",
  binary_cross_entropy: "Binary cross-entropy",
  square: "Square (½(o−y)²)",
  reduce_on_plateau: "Reduce on plateau",
};

export function label(name) {
  if (LABELS[name]) return LABELS[name];
  const text = String(name).replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}
