"""The same model as bench/bench_train.c, trained by PyTorch, for a side-by-side ratio.

784-256-10 MLP with ReLU, He-normal weights and zero biases, softmax cross-entropy,
AdamW (lr 1e-3, weight decay 0.01), batch 128, float32, one epoch of 60,000 images
(real MNIST from data/mnist when present, random pixels otherwise: the time is the
same). Thread settings come from the environment (OMP_NUM_THREADS and
OPENBLAS_NUM_THREADS must be set before torch is imported), so bench/run.sh calls
this script once per setting and keeps the fastest. Prints one line:
    torch: <seconds per epoch> s/epoch, <samples per second> samples/s
"""
import os, sys, time

import torch

def load(n=60000):
    path = os.path.join("data", "mnist", "train-images-idx3-ubyte")
    if os.path.exists(path):
        with open(path, "rb") as f:
            raw = f.read()[16:16 + n * 784]
        x = torch.frombuffer(bytearray(raw), dtype=torch.uint8).float().div_(255).view(n, 784)
    else:
        x = torch.rand(n, 784)
    y = torch.randint(0, 10, (n,))
    return x, y

def main():
    torch.manual_seed(1)
    x, y = load()
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))
    for m in model:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            torch.nn.init.zeros_(m.bias)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    batch, n = 128, x.shape[0]
    best = float("inf")
    for epoch in range(int(sys.argv[1]) if len(sys.argv) > 1 else 3):
        perm = torch.randperm(n)
        t = time.perf_counter()
        for i in range(0, n - batch + 1, batch):
            idx = perm[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        best = min(best, time.perf_counter() - t)
    print("torch: %.4f s/epoch, %.0f samples/s (threads %d)" % (best, n / best, torch.get_num_threads()))

if __name__ == "__main__":
    main()
