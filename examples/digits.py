"""Classify scikit-learn's handwritten digits with an MLP and a small CNN.

The data set ships with scikit-learn (1,797 grey 8x8 images of the digits 0-9, no download).
The program splits it into train and test sets, trains two models with DataLoader,
CrossEntropyLoss, Adam and a cosine learning-rate schedule, shows a tqdm progress bar per
epoch with the running loss and accuracy, reports the test accuracy, draws the loss and
accuracy curves to a PNG, and saves the CNN's weights, reloads them into a fresh model and
checks that it scores the same.

It is a plain PyTorch program: only the line `import numtorch as torch` would read
`import torch` in PyTorch.

Needs the `examples` extra: pip install -e '.[examples]' (scikit-learn, matplotlib, tqdm,
safetensors).

Run: python examples/digits.py [--short] [--epochs N] [--out DIR]
(or set NUMTORCH_EXAMPLE_SHORT=1 for a quick run; figures and weights go to DIR,
examples/output/ by default).
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # draw to files; no display needed
import matplotlib.pyplot as plt  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from tqdm import tqdm  # noqa: E402

import numtorch as torch  # noqa: E402

nn = torch.nn
DataLoader = torch.utils.data.DataLoader
TensorDataset = torch.utils.data.TensorDataset


def make_mlp() -> nn.Module:
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(128, 64), nn.ReLU(),
        nn.Linear(64, 10),
    )


def make_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.MaxPool2d(2),                                       # 16 x 4 x 4
        nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.MaxPool2d(2),                                       # 32 x 2 x 2
        nn.Flatten(),
        nn.Dropout(0.25),
        nn.Linear(32 * 2 * 2, 10),
    )


def load_data(short: bool):
    digits = load_digits()
    images = digits.images.astype("float32") / 16.0  # pixel values 0..16 -> 0..1
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target, test_size=0.25, stratify=digits.target, random_state=0)
    if short:  # a few batches are enough to exercise every step
        x_train, y_train = x_train[:512], y_train[:512]

    def to_tensors(x, y):
        return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y).long()  # N x 1 x 8 x 8
    return to_tensors(x_train, y_train), to_tensors(x_test, y_test)


def evaluate(model: nn.Module, loader: DataLoader, loss_fn: nn.Module) -> tuple[float, float]:
    """Mean loss and accuracy of ``model`` over ``loader``, in eval mode, without a graph."""
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            logits = model(x)
            total_loss += loss_fn(logits, y).item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            count += len(y)
    return total_loss / count, correct / count


def train(name: str, model: nn.Module, train_loader: DataLoader, test_loader: DataLoader,
          epochs: int, lr: float) -> dict[str, list[float]]:
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    history: dict[str, list[float]] = {"train_loss": [], "train_acc": [],
                                       "test_loss": [], "test_acc": []}
    for epoch in range(1, epochs + 1):
        model.train()
        total_loss, correct, count = 0.0, 0, 0
        bar = tqdm(train_loader, desc=f"{name} epoch {epoch:2d}/{epochs}", unit="batch",
                   leave=False)
        for x, y in bar:
            logits = model(x)
            loss = loss_fn(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

            total_loss += loss.item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            count += len(y)
            bar.set_postfix(loss=f"{total_loss / count:.4f}", acc=f"{correct / count:.3f}",
                            refresh=False)
        scheduler.step()

        test_loss, test_acc = evaluate(model, test_loader, loss_fn)
        history["train_loss"].append(total_loss / count)
        history["train_acc"].append(correct / count)
        history["test_loss"].append(test_loss)
        history["test_acc"].append(test_acc)
        tqdm.write(f"{name} epoch {epoch:2d}: train loss {total_loss / count:.4f} "
                   f"acc {correct / count:.3f} | test loss {test_loss:.4f} acc {test_acc:.3f}")
    return history


def plot(histories: dict[str, dict[str, list[float]]], path: Path) -> None:
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for i, (name, h) in enumerate(histories.items()):
        epochs = range(1, len(h["train_loss"]) + 1)
        for split, style in (("train", "-"), ("test", "--")):
            kw = dict(color=f"C{i}", linestyle=style, label=f"{name} {split}")
            ax_loss.plot(epochs, h[f"{split}_loss"], **kw)
            ax_acc.plot(epochs, h[f"{split}_acc"], **kw)
    ax_loss.set(title="cross-entropy loss", xlabel="epoch", yscale="log")
    ax_acc.set(title="accuracy", xlabel="epoch", ylim=(0, 1.01))
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend()
    fig.suptitle("scikit-learn digits (8x8): MLP vs CNN")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true",
                        help="a quick run on a subset (as CI does)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs per model (default 20; 3 with --short)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "output",
                        help="folder for the plot and the saved weights")
    args = parser.parse_args()
    short = args.short or os.environ.get("NUMTORCH_EXAMPLE_SHORT") == "1"
    epochs = args.epochs or (3 if short else 20)
    args.out.mkdir(parents=True, exist_ok=True)

    torch.manual_seed(0)
    (x_train, y_train), (x_test, y_test) = load_data(short)
    train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)
    test_loader = DataLoader(TensorDataset(x_test, y_test), batch_size=256)
    print(f"digits: {len(x_train)} training and {len(x_test)} test images of 8x8 pixels")

    start = time.perf_counter()
    histories, results = {}, {}
    for name, model, lr in (("MLP", make_mlp(), 3e-3), ("CNN", make_cnn(), 5e-3)):
        n_params = sum(p.numel() for p in model.parameters())
        print(f"{name}: {n_params} parameters")
        histories[name] = train(name, model, train_loader, test_loader, epochs, lr)
        results[name] = model
    seconds = time.perf_counter() - start

    for name, h in histories.items():
        print(f"{name} test accuracy: {100 * h['test_acc'][-1]:.2f}%")
    print(f"training time: {seconds:.1f} s for {epochs} epochs per model")

    figure = args.out / "digits_curves.png"
    plot(histories, figure)
    print(f"saved the loss and accuracy curves to {figure}")

    # Save the CNN's weights, load them into a fresh model and check it scores the same.
    weights = args.out / "digits_cnn.pt"
    torch.save(results["CNN"].state_dict(), weights)
    reloaded = make_cnn()
    reloaded.load_state_dict(torch.load(weights))
    loss_fn = nn.CrossEntropyLoss()
    _, acc_before = evaluate(results["CNN"], test_loader, loss_fn)
    _, acc_after = evaluate(reloaded, test_loader, loss_fn)
    if acc_after != acc_before:
        raise SystemExit(f"reload check failed: {acc_before:.4f} before, {acc_after:.4f} after")
    print(f"saved the CNN to {weights}; reloaded model gives the same test accuracy "
          f"({100 * acc_after:.2f}%)")


if __name__ == "__main__":
    main()
