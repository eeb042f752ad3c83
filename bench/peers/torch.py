#!/usr/bin/env python3
"""PyTorch peer of `npm run bench`, run as a child process by bench/peers/torch.ts.

  torch.py --probe             one JSON line: Python, torch and numpy versions, the BLAS torch loaded, threads
  torch.py --sgemm N           one JSON line: torch.mm of two N×N float32 matrices on one thread, GFLOP/s
  torch.py --serve FILE        trains the workload described in FILE (written by torch.ts) and answers
                               commands, one JSON line each way on stdin/stdout:
    {"cmd": "step"}            one step on the next batch → {"loss": …} (the loss before the update)
    {"cmd": "params", "file"}  writes the parameters in gradc's layout and order, float32, to file → {}
    {"cmd": "run", "steps"}    that many steps, timed here → {"done", "wallNs", "cpuNs", "waitNs", "processCpuNs"}
    {"cmd": "rss"}             → {"maxRssKb": …} (this process's peak RSS)

The network is built the way a PyTorch user writes it (nn.Linear, nn.Conv2d + nn.MaxPool2d in NCHW,
nn.LSTM(batch_first=True), F.cross_entropy / F.mse_loss, torch.optim.SGD / Adam with their defaults
but the workload's hyper-parameters), float32, torch.set_num_threads(1), and starts from gradc's initial
parameters converted to torch's layouts (Linear weights transposed, conv filters [kh, kw, in, out] →
[out, in, kh, kw], the first dense layer after a CNN's flatten re-ordered from NHWC's (h, w, c) rows to
NCHW's (c, h, w), LSTM weights transposed with the same gate order i, f, g, o). One step is
zero_grad(set_to_none=True), forward, loss, backward, optimizer.step(): eager, synchronous on the CPU.

Times are the main thread's CPU time from Linux schedstat (/proc/thread-self/schedstat), the clock the
harness uses for the JavaScript peers, with the whole process's CPU time beside it (so that work on
other threads would show).
"""

import json
import os
import resource
import sys
import time

# Python puts this script's folder first on sys.path, where this file itself would be found as `torch`.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]


def thread_times():
    """(run, wait) ns of this thread so far; (CPU time, 0) where schedstat does not exist."""
    try:
        with open("/proc/thread-self/schedstat") as f:
            run, wait, _ = f.read().split()
        return int(run), int(wait)
    except OSError:
        return time.thread_time_ns(), 0


def blas_info():
    """The BLAS library this process mapped (torch's BLAS_INFO=generic means libblas.so.3, whichever
    library Debian's alternative points to) and, for OpenBLAS, its own configuration string."""
    paths = set()
    with open("/proc/self/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and "blas" in os.path.basename(parts[-1]).lower():
                paths.add(os.path.realpath(parts[-1]))
    info = {"libraries": sorted(paths)}
    for p in sorted(paths):
        try:
            import ctypes

            lib = ctypes.CDLL(p)
            if hasattr(lib, "openblas_get_config"):
                lib.openblas_get_config.restype = ctypes.c_char_p
                info["openblas"] = lib.openblas_get_config().decode()
                info["openblasThreads"] = lib.openblas_get_num_threads()
        except OSError:
            pass
    return info


def setup_torch():
    import torch

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set
    torch.set_default_dtype(torch.float32)
    return torch


def probe():
    torch = setup_torch()
    import numpy

    torch.mm(torch.ones(64, 64), torch.ones(64, 64))  # loads the BLAS
    build = torch.__config__.show()
    blas = next((f.split("=", 1)[1] for f in build.replace(",", " ").split() if f.startswith("BLAS_INFO=")), "?")
    return {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "threads": torch.get_num_threads(),
        "interopThreads": torch.get_num_interop_threads(),
        "blasInfo": blas,
        "blas": blas_info(),
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "capability": next((line.split(":", 1)[1].strip() for line in build.splitlines() if "CPU capability usage" in line), "?"),
    }


def sgemm(n):
    """GFLOP/s of torch.mm(a, b), a and b n×n float32, one thread: median and best of 7 repetitions of
    ~0.3 s of this thread's CPU time."""
    torch = setup_torch()
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    c = torch.empty(n, n)
    for _ in range(3):
        torch.mm(a, b, out=c)
    rates = []
    for _ in range(7):
        t0, _w = thread_times()
        k = 0
        while True:
            torch.mm(a, b, out=c)
            k += 1
            t1, _w = thread_times()
            if t1 - t0 >= 3e8:
                break
        rates.append(2 * n**3 * k / (t1 - t0))
    rates.sort()
    return {"n": n, "gflops": rates[len(rates) // 2], "best": rates[-1], "blas": blas_info()}


# ── the workload ──────────────────────────────────────────────────────────────────────────────────


def read_spec(path):
    """The file torch.ts writes: a 4-byte little-endian header length, the JSON header, then the raw
    little-endian arrays at the offsets the header gives (from the end of the header)."""
    import numpy as np

    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:4], "little")
    header = json.loads(raw[4 : 4 + n].decode())
    base = 4 + n

    def array(a):
        dtype = {"float32": np.float32, "int32": np.int32}[a["dtype"]]
        return np.frombuffer(raw, dtype=dtype, count=a["length"], offset=base + a["offset"])

    params = {p["name"]: array(p).reshape(p["shape"]) for p in header["params"]}
    batches = [(array(b["x"]), array(b["y"])) for b in header["batches"]]
    return header, params, batches


ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}


class Net:
    """The workload's network as torch modules, with converters between gradc's parameter list and
    torch's (layouts as in the module docstring)."""

    def __init__(self, torch, w, params):
        nn = torch.nn
        self.torch = torch
        self.names = list(params.keys())
        t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731 (a copy: the file's buffer is read-only)
        values = [params[k] for k in self.names]
        self.to_gradc = []  # per torch parameter (in self.params() order): torch tensor → gradc array
        modules = []
        torch_values = []
        k = 0

        def dense_stack(layers, first_from=None):
            nonlocal k
            for i, l in enumerate(layers):
                lin = nn.Linear(l["in"], l["out"])
                W, b = values[k], values[k + 1]
                k += 2
                if i == 0 and first_from is not None:
                    h, wd, c = first_from  # rows (h, w, c) → columns (c, h, w) of torch's [out, in]
                    torch_values.append(t(W.reshape(h, wd, c, -1).transpose(3, 2, 0, 1).reshape(l["out"], -1)))
                    self.to_gradc.append(lambda v, h=h, wd=wd, c=c: v.reshape(-1, c, h, wd).permute(2, 3, 1, 0).reshape(h * wd * c, -1))
                else:
                    torch_values.append(t(W.T))
                    self.to_gradc.append(lambda v: v.T)
                torch_values.append(t(b))
                self.to_gradc.append(lambda v: v)
                modules.append(lin)
                if l["act"] != "linear":
                    modules.append(getattr(nn, ACTIVATIONS[l["act"]])())

        self.lstm = None
        if "layers" in w:
            dense_stack(w["layers"])
            self.model = nn.Sequential(*modules)
            self.shape_x = lambda x: x.reshape(w["batch"], -1)
        elif "cnn" in w:
            h, wd, c = w["cnn"]["input"]
            for block in w["cnn"]["convs"]:
                conv = nn.Conv2d(c, block["out"], block["kernel"])
                K, b = values[k], values[k + 1]
                k += 2
                torch_values += [t(K.transpose(3, 2, 0, 1)), t(b)]
                self.to_gradc += [lambda v: v.permute(2, 3, 1, 0), lambda v: v]
                modules += [conv, getattr(nn, ACTIVATIONS[block["act"]])(), nn.MaxPool2d(block["pool"])]
                h, wd, c = (h - block["kernel"] + 1) // block["pool"], (wd - block["kernel"] + 1) // block["pool"], block["out"]
            modules.append(nn.Flatten())
            dense_stack(w["cnn"]["dense"], first_from=(h, wd, c))
            self.model = nn.Sequential(*modules)
            H, W, C = w["cnn"]["input"]
            # NHWC rows → NCHW, once per batch outside the timing (a no-op reshape when C = 1).
            self.shape_x = lambda x: x.reshape(w["batch"], H, W, C).permute(0, 3, 1, 2).contiguous()
        elif "lstm" in w:
            net = w["lstm"]
            self.lstm = nn.LSTM(net["input"], net["hidden"], batch_first=True)
            Wih, Whh, bih, bhh = values[0:4]
            k = 4
            torch_values += [t(Wih.T), t(Whh.T), t(bih), t(bhh)]
            self.to_gradc += [lambda v: v.T, lambda v: v.T, lambda v: v, lambda v: v]
            dense_stack(net["dense"])
            self.head = nn.Sequential(*modules)
            lstm, head = self.lstm, self.head

            def forward(x):
                _, (h_n, _c) = lstm(x)
                return head(h_n[-1])

            self.model = nn.ModuleList([lstm, head])
            self.forward = forward
            self.shape_x = lambda x: x.reshape(w["batch"], net["steps"], net["input"])
        else:
            raise ValueError(f"{w['id']}: none of layers, cnn, lstm")
        if k != len(values):
            raise ValueError(f"{w['id']}: the network takes {k} parameters, gradc's module has {len(values)}")
        if not hasattr(self, "forward"):
            self.forward = self.model
        with torch.no_grad():
            for p, v in zip(self.params(), torch_values):
                if tuple(p.shape) != tuple(v.shape):
                    raise ValueError(f"{w['id']}: parameter of shape {tuple(p.shape)} given {tuple(v.shape)}")
                p.copy_(v)

    def params(self):
        if self.lstm is not None:
            l = self.lstm
            return [l.weight_ih_l0, l.weight_hh_l0, l.bias_ih_l0, l.bias_hh_l0, *self.head.parameters()]
        return list(self.model.parameters())

    def gradc_params(self):
        with self.torch.no_grad():
            return [f(p.detach()).contiguous().numpy() for f, p in zip(self.to_gradc, self.params())]


def serve(path):
    torch = setup_torch()
    import torch.nn.functional as F

    header, params, batches = read_spec(path)
    w = header["workload"]
    net = Net(torch, w, params)
    o = w["optimizer"]
    if o["kind"] == "sgd":
        opt = torch.optim.SGD(net.params(), lr=o["lr"])
    else:
        opt = torch.optim.Adam(net.params(), lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"])
    if w["loss"] == "mse":
        loss_fn = F.mse_loss
        data = [(net.shape_x(torch.from_numpy(x.copy())), torch.from_numpy(y.copy()).reshape(w["batch"], -1)) for x, y in batches]
    else:
        loss_fn = F.cross_entropy
        data = [(net.shape_x(torch.from_numpy(x.copy())), torch.from_numpy(y.astype("int64"))) for x, y in batches]
    forward = net.forward
    nxt = 0

    def step():
        nonlocal nxt
        x, y = data[nxt]
        nxt = (nxt + 1) % len(data)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(forward(x), y)
        loss.backward()
        opt.step()
        return loss

    out = sys.stdout
    for line in sys.stdin:
        msg = json.loads(line)
        cmd = msg["cmd"]
        try:
            if cmd == "step":
                reply = {"loss": float(step().item())}
            elif cmd == "params":
                with open(msg["file"], "wb") as f:
                    for a in net.gradc_params():
                        f.write(a.astype("<f4").tobytes())
                reply = {}
            elif cmd == "run":
                steps = int(msg["steps"])
                p0 = time.process_time_ns()
                r0, w0 = thread_times()
                t0 = time.perf_counter_ns()
                for _ in range(steps):
                    step()
                t1 = time.perf_counter_ns()
                r1, w1 = thread_times()
                p1 = time.process_time_ns()
                reply = {"done": steps, "wallNs": t1 - t0, "cpuNs": r1 - r0, "waitNs": w1 - w0, "processCpuNs": p1 - p0}
            elif cmd == "rss":
                reply = {"maxRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}
            elif cmd == "quit":
                return
            else:
                reply = {"error": f"unknown command {cmd}"}
        except Exception as e:  # reported to the harness, which fails the run with it
            import traceback

            reply = {"error": f"{type(e).__name__}: {e}\n{traceback.format_exc()}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


def main(argv):
    if len(argv) == 2 and argv[1] == "--probe":
        print(json.dumps(probe()))
    elif len(argv) == 3 and argv[1] == "--sgemm":
        print(json.dumps(sgemm(int(argv[2]))))
    elif len(argv) == 3 and argv[1] == "--serve":
        serve(argv[2])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
