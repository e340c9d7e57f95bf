"""Train a small CNN on scikit-learn's digits with DistributedDataParallel over MPI ranks.

Every rank holds a replica of the model and trains on its own share of each epoch
(DistributedSampler); DistributedDataParallel averages the gradients during backward, so the
replicas stay identical. Only rank 0 prints: each epoch's loss and test accuracy, and what
every rank did.

It is a plain PyTorch program: only `import numtorch as torch` would read `import torch`.

Needs the `distributed` and `examples` extras: pip install -e '.[distributed,examples]'.

Run (2 ranks on this machine):
    python -m numtorch.distributed.run -n 2 examples/ddp_digits.py [--short] [--epochs N]
or  mpiexec -n 2 python examples/ddp_digits.py
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
from sklearn.datasets import load_digits

import numtorch as torch
import numtorch.distributed as dist
import numtorch.nn as nn
import numtorch.nn.functional as F
from numtorch.nn.parallel import DistributedDataParallel as DDP
from numtorch.utils.data import DataLoader, TensorDataset
from numtorch.utils.data.distributed import DistributedSampler


def make_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 16 x 4 x 4
        nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 32 x 2 x 2
        nn.Flatten(),
        nn.Linear(32 * 2 * 2, 10),
    )


def load(short: bool):
    """The 1,797 8x8 images, scaled to [0, 1], in a fixed shuffled order: 1,500 to train."""
    digits = load_digits()
    order = np.random.default_rng(0).permutation(len(digits.target))
    x = torch.tensor(digits.images[order] / 16.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(digits.target[order], dtype=torch.int64)
    n_train = 256 if short else 1500
    return TensorDataset(x[:n_train], y[:n_train]), (x[1500:], y[1500:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="a few batches, for CI")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=32, help="per rank")
    args = parser.parse_args()
    short = args.short or os.environ.get("NUMTORCH_EXAMPLE_SHORT") == "1"
    epochs = args.epochs or (2 if short else 10)

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    train, (x_test, y_test) = load(short)
    sampler = DistributedSampler(train, shuffle=True, seed=0)
    loader = DataLoader(train, batch_size=args.batch_size, sampler=sampler)

    torch.manual_seed(rank)  # different on each rank on purpose: DDP copies rank 0's weights
    model = DDP(make_cnn())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    if rank == 0:
        print(f"{world} rank(s), {len(train)} training images, {len(sampler)} per rank and "
              f"epoch, batch {args.batch_size} per rank ({args.batch_size * world} global)")

    first = last = None
    for epoch in range(epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
        model.train()
        start = time.perf_counter()
        total, seen = 0.0, 0
        for x, y in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()  # gradients are averaged across ranks here
            optimizer.step()
            total += loss.item() * len(y)
            seen += len(y)
        seconds = time.perf_counter() - start

        # the test set is split among the ranks too: each counts its own correct answers
        model.eval()
        with torch.no_grad():
            xs, ys = x_test[rank::world], y_test[rank::world]
            correct = (model(xs).argmax(1) == ys).sum().item()
        sums = torch.tensor([total, seen, correct, len(ys)], dtype=torch.float64)
        dist.all_reduce(sums)
        mean_loss, accuracy = sums[0].item() / sums[1].item(), sums[2].item() / sums[3].item()
        per_rank = [None] * world
        dist.all_gather_object(per_rank, (seen, total / max(seen, 1), seconds))
        first = mean_loss if first is None else first
        last = mean_loss
        if rank == 0:
            print(f"epoch {epoch + 1}/{epochs}: loss {mean_loss:.4f}, test accuracy "
                  f"{accuracy:.3f}, epoch time {seconds:.3f} s")
            for r, (n, loss_r, sec) in enumerate(per_rank):
                print(f"  rank {r}: {n} images, loss {loss_r:.4f}, {sec:.3f} s")

    # the replicas must still be identical: compare a checksum of the weights
    checksum = sum(float(p.detach().double().sum()) for p in model.parameters())
    sums = [None] * world
    dist.all_gather_object(sums, checksum)
    if rank == 0:
        print("replicas in sync" if max(sums) - min(sums) < 1e-9 else f"replicas DIFFER: {sums}")
        print("loss decreased" if last < first else "loss did not decrease")
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
