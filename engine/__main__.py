"""Train one dataset from the command line and print the losses.

python -m engine --dataset circle --epochs 200
"""

from __future__ import annotations

import argparse

from engine import Config, ConfigError, Trainer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m engine", description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="circle")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--hidden", default="4,2", help="comma list of layer sizes ('' = none)")
    parser.add_argument("--activation", default="tanh")
    parser.add_argument("--learning-rate", type=float, default=0.03)
    parser.add_argument("--every", type=int, default=20, help="print every this many epochs")
    args = parser.parse_args(argv)
    hidden = [int(h) for h in args.hidden.split(",") if h.strip()]
    try:
        problem = "regression" if args.dataset in ("plane", "multi_gauss") else "classification"
        config = Config.from_dict(
            {
                "problem": problem,
                "dataset": args.dataset,
                "hidden": hidden,
                "activation": args.activation,
                "learning_rate": args.learning_rate,
            }
        )
    except ConfigError as e:
        parser.error(str(e))
    trainer = Trainer(config)
    done = 0
    while done < args.epochs and trainer.status == "ok":
        ran = trainer.train_epochs(min(args.every, args.epochs - done))
        done += ran
        m = trainer.metrics()
        accuracy = "" if m["test_accuracy"] is None else f"  test accuracy {m['test_accuracy']:.3f}"
        print(
            f"epoch {m['epoch']:6d}  train {m['train_loss']:.4f}  test {m['test_loss']:.4f}"
            + accuracy
        )
        if not ran:
            break
    if trainer.status != "ok":
        print(trainer.status_message)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
