"""The numeric path on a CUDA GPU against the CPU in the same run: the closed-form
Hessian-vector product and the smallest Hessian eigenvalue by Lanczos (float64), at the
sizes of the issue "daily use" (K = d = 100, n = 100; K = d = 1000, n = 10).

    python benchmarks/bench_gpu.py            # CPU (NumPy) and, when present, CUDA
    python benchmarks/bench_gpu.py --quick    # small sizes (a smoke test)

Each line prints the median of ``--repeats`` timed runs after one warm-up, and the ratio
CPU / GPU measured in this process.  Without a GPU only the CPU lines print.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from ufm_sym import Problem
from ufm_sym.numeric import hessian_vector_product, smallest_hessian_eigenvalue


def _point(p: Problem, seed: int, scale: float = 0.05) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [scale * rng.standard_normal((p.K, p.d)), scale * rng.standard_normal((p.d, p.N)),
            scale * rng.standard_normal(p.K)]


def _time(fn, repeats: int, sync=None) -> float:
    fn()
    if sync:
        sync()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        if sync:
            sync()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args(argv)
    try:
        import torch

        cuda = torch.cuda.is_available()
    except ImportError:  # pragma: no cover
        torch, cuda = None, False
    sizes = [(10, 10), (40, 4)] if args.quick else [(100, 100), (1000, 10)]
    rows = []
    for K, n in sizes:
        p = Problem("ce", K=K, n=n, lambda_W="0.001", lambda_H="0.001", lambda_b="0.001")
        x, v = _point(p, 1), _point(p, 2)
        t_cpu = _time(lambda p=p, x=x, v=v: hessian_vector_product(p, x, v), args.repeats)
        row = {"K": K, "n": n, "params": p.K * p.d + p.d * p.N + p.K, "hvp_cpu_s": t_cpu}
        if cuda:
            dev = torch.device("cuda")
            xt = [torch.as_tensor(a, device=dev) for a in x]
            vt = [torch.as_tensor(a, device=dev) for a in v]
            t_gpu = _time(lambda p=p, xt=xt, vt=vt: hessian_vector_product(p, xt, vt),
                          args.repeats,
                          torch.cuda.synchronize)
            got = hessian_vector_product(p, xt, vt)
            ref = hessian_vector_product(p, x, v)
            err = max(float(np.max(np.abs(g.cpu().numpy() - r))) / max(1.0, float(np.max(
                np.abs(r)))) for g, r in zip(got, ref, strict=True))
            row.update(hvp_gpu_s=t_gpu, hvp_ratio=t_cpu / t_gpu, hvp_rel_err=err)
        if K >= 1000 or args.quick:
            t0 = time.perf_counter()
            lc = smallest_hessian_eigenvalue(p, x, method="lanczos")
            row.update(lanczos_cpu_s=time.perf_counter() - t0, lambda_min_cpu=lc.value)
            if cuda:
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                lg = smallest_hessian_eigenvalue(p, xt, method="lanczos")
                torch.cuda.synchronize()
                row.update(lanczos_gpu_s=time.perf_counter() - t0, lambda_min_gpu=lg.value)
                row["lanczos_ratio"] = row["lanczos_cpu_s"] / row["lanczos_gpu_s"]
        rows.append(row)
        print(" ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                       for k, v in row.items()), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"cuda": cuda, "device": torch.cuda.get_device_name(0) if cuda else
                       "cpu", "rows": rows}, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
