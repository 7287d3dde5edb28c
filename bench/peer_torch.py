"""The same model as bench/bench_train.c, trained by PyTorch, for a side-by-side ratio.

By default a 784-256-10 MLP with ReLU, He-normal weights and zero biases, softmax
cross-entropy, AdamW (lr 1e-3, weight decay 0.01), batch 128, float32, epochs of
60,000 images (real MNIST from data/mnist when present, random pixels otherwise:
the time is the same), the last batch of an epoch smaller when 128 does not divide
the count, as the library's trainer does. Thread settings come from the environment
(OMP_NUM_THREADS and OPENBLAS_NUM_THREADS must be set before torch is imported), so
bench/run.sh calls this script once per setting and keeps the fastest.

    peer_torch.py [EPOCHS] [--sizes 784,1024,10] [--samples N] [--flush-denormal]

EPOCHS (default 3): the fastest epoch is reported. --sizes: the layer widths,
inputs first (any number of hidden layers, ReLU between them); random pixels when
the input is not 784 wide. --samples: examples per epoch (default 60,000).
--flush-denormal: torch.set_flush_denormal(True) before training (subnormal floats
read and written as zero, as ofs_set_flush_denormal does for optimfs); a first line
says whether it took effect. Prints one line:
    torch: <seconds per epoch> s/epoch, <samples per second> samples/s (threads <n>)
"""
import argparse, os, time

import torch

def load(n, dim, classes):
    path = os.path.join("data", "mnist", "train-images-idx3-ubyte")
    if dim == 784 and n <= 60000 and os.path.exists(path):
        with open(path, "rb") as f:
            raw = f.read()[16:16 + n * 784]
        x = torch.frombuffer(bytearray(raw), dtype=torch.uint8).float().div_(255).view(n, 784)
    else:
        x = torch.rand(n, dim)
    y = torch.randint(0, classes, (n,))
    return x, y

def main():
    ap = argparse.ArgumentParser(description="PyTorch's side of make bench")
    ap.add_argument("epochs", nargs="?", type=int, default=3)
    ap.add_argument("--sizes", default="784,256,10", help="layer widths, inputs first")
    ap.add_argument("--samples", type=int, default=60000, help="examples per epoch")
    ap.add_argument("--flush-denormal", action="store_true", help="torch.set_flush_denormal(True)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if len(sizes) < 2 or min(sizes) < 1 or args.samples < 1 or args.epochs < 1:
        ap.error("need at least two positive widths, samples >= 1 and epochs >= 1")
    if args.flush_denormal:
        print("flush-denormal: %s (torch.set_flush_denormal)" %
              ("on" if torch.set_flush_denormal(True) else "off, not supported on this CPU"))
    torch.manual_seed(1)
    x, y = load(args.samples, sizes[0], sizes[-1])
    layers = []
    for i in range(len(sizes) - 1):
        if i:
            layers.append(torch.nn.ReLU())
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
    model = torch.nn.Sequential(*layers)
    for m in model:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            torch.nn.init.zeros_(m.bias)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    batch, n = 128, x.shape[0]
    best = float("inf")
    for epoch in range(args.epochs):
        perm = torch.randperm(n)
        t = time.perf_counter()
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        best = min(best, time.perf_counter() - t)
    print("torch: %.4f s/epoch, %.0f samples/s (threads %d)" % (best, n / best, torch.get_num_threads()))

if __name__ == "__main__":
    main()
