"""Benchmarks of the float64 numeric path (issue 6), printed as ratios measured in one run.

    python benchmarks/bench_numeric.py [--quick] [--json]

1. Closed-form Hessian-vector product vs PyTorch autograd double backward, CPU,
   K = d = 100, n = 100 (target: closed form >= 3x faster).  The autograd baseline builds
   the graph of the gradient once (``create_graph=True``) and then only runs the second
   backward per product: the most favourable setting for autograd.
2. HVP throughput as a fraction of the machine's matmul rate (target >= 50%): the HVP's
   six ``K x d x N`` products (``2 K d N`` flops each) per second, over the float64 rate
   of one ``(K x d) @ (d x N)`` product on the same backend, same run.
3. Smallest Hessian eigenvalue at K = d = 1000, n = 10 on the CPU (target < 30 s),
   matrix-free Lanczos (two full-size vectors), in a child process that loads the point
   from disk, so that its peak RSS is that of the solve alone.
4. Peak RSS of that child vs the size of (W, H, b) plus one direction (target <= 3x).
5. The closed-form HVP at K = d = 100, n = 100 from the point (logits, softmax, then the
   product) against its own floor: seven ``K x d x N`` products plus one ``exp`` over the
   ``K x N`` logits, timed alone in the same process (target <= 1.5x).
6. ``ufm-sym sample --loss ce --K 100 --n 3 --count 1`` (the default lambdas, where the
   origin is the global minimizer) and the same with ``lambda_W = lambda_H = 0.001``
   (an origin saddle and a rank saddle, each escaped), wall-clock and CPU seconds of the
   whole command in a child process (target <= 60 s on 2 cores).

Timings on a shared machine vary; each is the median of several repeats.  Every part runs
in its own process; ``--threads N`` fixes the BLAS / OpenMP / torch thread count (on a
loaded machine ``--threads 1`` avoids the collapse of 2-thread BLAS under contention).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ufm_sym import Problem  # noqa: E402
from ufm_sym.numeric import get_backend  # noqa: E402
from ufm_sym.numeric.closed_forms import (  # noqa: E402
    centered_basis,
    closed_form_global_minimizer,
    mse_critical_point,
)
from ufm_sym.numeric.kernels import HessianOperator, Spec, hvp_state, point_state  # noqa: E402


def _median_time(fn, repeats: int, sync=lambda: None) -> float:
    fn()
    sync()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        sync()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def _random_point(K: int, d: int, n: int, seed: int = 0, scale: float = 0.3):
    rng = np.random.default_rng(seed)
    N = K * n
    return (scale * rng.standard_normal((K, d)), scale * rng.standard_normal((d, N)),
            scale * rng.standard_normal(K))


# ------------------------------------------------------------------ 1. vs autograd
def bench_autograd(K: int, d: int, n: int, repeats: int) -> dict:
    try:
        import torch
    except ImportError:
        return {"skipped": "torch is not installed"}
    out: dict = {"K": K, "d": d, "n": n, "torch_threads": torch.get_num_threads()}
    for loss in ("ce", "mse"):
        p = Problem(loss, K=K, n=n, d=d, lambda_W="5e-3", lambda_H="5e-3", lambda_b="1e-3")
        x = _random_point(K, d, n)
        v = _random_point(K, d, n, seed=1)
        spec = Spec.from_problem(p)
        be = get_backend("torch", "cpu")
        xt = [be.asarray(a) for a in x]
        vt = [be.asarray(a) for a in v]
        st = point_state(spec, *xt)
        t_cf_torch = _median_time(lambda st=st, vt=vt: hvp_state(st, *vt), repeats)
        # autograd reference objective, written with torch's own losses
        params = [torch.tensor(a, requires_grad=True) for a in x]
        labels = torch.arange(K).repeat_interleave(n)
        Y = torch.nn.functional.one_hot(labels, K).T.double()
        lw, lh, lb = p.float_lambdas()

        def f(W, H, b, loss=loss, labels=labels, Y=Y, lw=lw, lh=lh, lb=lb):
            R = W @ H + b[:, None]
            g = (torch.nn.functional.cross_entropy(R.T, labels) if loss == "ce"
                 else 0.5 * ((R - Y) ** 2).sum() / R.shape[1])
            return g + 0.5 * (lw * (W * W).sum() + lh * (H * H).sum() + lb * (b * b).sum())

        grads = torch.autograd.grad(f(*params), params, create_graph=True)

        def ad_hvp(grads=grads, params=params, vt=vt):
            s = sum((gi * vi).sum() for gi, vi in zip(grads, vt, strict=True))
            return torch.autograd.grad(s, params, retain_graph=True)

        t_ad = _median_time(ad_hvp, repeats)

        def ad_full(params=params, vt=vt, f=f):
            gr = torch.autograd.grad(f(*params), params, create_graph=True)
            s = sum((gi * vi).sum() for gi, vi in zip(gr, vt, strict=True))
            return torch.autograd.grad(s, params)

        t_ad_full = _median_time(ad_full, repeats)
        hv_ad = ad_hvp()
        err = max(float((a - c).abs().max()) for a, c in zip(hvp_state(st, *vt), hv_ad,
                                                             strict=True))
        out[loss] = {
            "closed_form_torch_ms": 1e3 * t_cf_torch,
            "autograd_double_backward_ms": 1e3 * t_ad,
            "autograd_with_forward_ms": 1e3 * t_ad_full,
            "speedup_torch": t_ad / t_cf_torch,
            "speedup_vs_full_autograd_torch": t_ad_full / t_cf_torch,
            "max_abs_difference": err,
        }
    return out


def bench_hvp_numpy(K: int, d: int, n: int, repeats: int) -> dict:
    """The closed-form HVP on NumPy (its own process: no torch thread pool around)."""
    out: dict = {"K": K, "d": d, "n": n}
    for loss in ("ce", "mse"):
        p = Problem(loss, K=K, n=n, d=d, lambda_W="5e-3", lambda_H="5e-3", lambda_b="1e-3")
        st = point_state(Spec.from_problem(p), *_random_point(K, d, n))
        v = _random_point(K, d, n, seed=1)
        out[loss] = {"closed_form_numpy_ms": 1e3 * _median_time(
            lambda st=st, v=v: hvp_state(st, *v), repeats)}
    return out


# ------------------------------------------------------------------ 2. throughput
def bench_throughput(K: int, d: int, n: int, repeats: int, backend: str = "numpy") -> dict:
    be = get_backend(backend, "cpu")
    xp = be.xp
    N = K * n
    out: dict = {"K": K, "d": d, "n": n, "backend": backend}
    A = be.asarray(np.random.default_rng(2).standard_normal((K, d)))
    B = be.asarray(np.random.default_rng(3).standard_normal((d, N)))
    t_mm = _median_time(lambda: xp.matmul(A, B), repeats)
    rate = 2.0 * K * d * N / t_mm
    out["matmul_gflops"] = rate / 1e9
    for loss in ("ce", "mse"):
        p = Problem(loss, K=K, n=n, d=d, lambda_W="5e-3", lambda_H="5e-3", lambda_b="1e-3")
        x = [be.asarray(a) for a in _random_point(K, d, n)]
        v = [be.asarray(a) for a in _random_point(K, d, n, seed=1)]
        op = HessianOperator(p, x, backend=be)
        vf = op.join(v)
        outv = be.zeros((op.size,))
        t = _median_time(lambda op=op, vf=vf, outv=outv: op.matvec_into(vf, outv, 0.0), repeats)
        flops = 6 * 2.0 * K * d * N
        out[loss] = {"hvp_ms": 1e3 * t, "hvp_gflops": flops / t / 1e9,
                     "fraction_of_matmul_rate": (flops / t) / rate, "chunk": op.chunk}
    return out


# ------------------------------------------------------------------ 5. HVP vs its floor
def bench_hvp_floor(K: int, d: int, n: int, repeats: int) -> dict:
    """The CE HVP from the point (state + product) over seven bare products and one exp."""
    out: dict = {"K": K, "d": d, "n": n}
    N = K * n
    rng = np.random.default_rng(0)
    p = Problem("ce", K=K, n=n, d=d, lambda_W="5e-3", lambda_H="5e-3", lambda_b="1e-3")
    spec = Spec.from_problem(p)
    x = _random_point(K, d, n)
    v = _random_point(K, d, n, seed=1)
    A, B, C = x[0], x[1], rng.standard_normal((K, N))

    def floor() -> None:  # R = W H, D (2), M H^T, G dH^T, W^T M, dW^T G; exp(R)
        R = A @ B
        A @ B, A @ B, C @ B.T, C @ B.T, A.T @ C, A.T @ C  # noqa: B018
        np.exp(R)

    def hvp_from_point() -> None:
        hvp_state(point_state(spec, *x), *v)

    st = point_state(spec, *x)
    ratios, t_floor, t_hvp, t_state = [], [], [], []
    for _ in range(3):  # interleaved, so that a change of load hits both
        tf = _median_time(floor, repeats)
        th = _median_time(hvp_from_point, repeats)
        t_state.append(_median_time(lambda: hvp_state(st, *v), repeats))
        t_floor.append(tf)
        t_hvp.append(th)
        ratios.append(th / tf)
    out.update(floor_ms=1e3 * statistics.median(t_floor),
               hvp_from_point_ms=1e3 * statistics.median(t_hvp),
               hvp_at_state_ms=1e3 * statistics.median(t_state),
               ratio=statistics.median(ratios), ratios=ratios)
    return out


# ------------------------------------------------------------------ 6. sample command
def bench_sample(repeats: int) -> dict:
    out: dict = {"runs": []}
    for extra in ([], ["--lambda-W", "0.001", "--lambda-H", "0.001"]):
        cmd = [sys.executable, "-m", "ufm_sym.cli", "sample", "--loss", "ce", "--K", "100",
               "--n", "3", "--count", "1", "--json"] + extra
        t = time.perf_counter()
        r0 = os.times()
        res = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT), check=False)
        r1 = os.times()
        wall = time.perf_counter() - t
        run: dict = {"args": " ".join(c for c in cmd[3:] if c != "--json"), "seconds": wall,
                     "cpu_seconds": (r1.children_user - r0.children_user)
                     + (r1.children_system - r0.children_system), "exit": res.returncode}
        if res.returncode in (0, 1):
            js = json.loads(res.stdout)
            run["samples"] = [(x["kind"], x["passed"], x["numbers"].get("escape_rounds"),
                               x["numbers"].get("escape_stopped")) for x in js["samples"]]
        out["runs"].append(run)
    return out


# ------------------------------------------------------------------ 3./4. eigenvalue
CHILD = r"""
import json, sys, time
import numpy as np

def hwm_kb():  # peak RSS of this process image (VmHWM; ru_maxrss survives exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

from ufm_sym import Problem
from ufm_sym.numeric import smallest_hessian_eigenvalue
d = json.loads(sys.argv[1])
rss0 = hwm_kb()
p = Problem(**d["problem"])
x = tuple(np.load(f) for f in d["files"])
rss1 = hwm_kb()
t = time.perf_counter()
r = smallest_hessian_eigenvalue(p, x, method="lanczos", tol=d["tol"], maxiter=d["maxiter"])
dt = time.perf_counter() - t
rss2 = hwm_kb()
print(json.dumps({"seconds": dt, "value": r.value, "margin": r.margin, "method": r.method,
                  "iterations": r.iterations, "residual": r.residual, "converged": r.converged,
                  "grad_norm": r.grad_norm, "rss_after_imports_mb": rss0 / 1024,
                  "rss_after_point_mb": rss1 / 1024, "peak_rss_mb": rss2 / 1024}))
"""


def bench_eigen(K: int, n: int, tol: float, maxiter: int) -> dict:
    out: dict = {"K": K, "d": K, "n": n, "tol": tol}
    rng = np.random.default_rng(0)
    cases = {
        "mse_subspace_saddle": Problem("mse", K=K, n=n, lambda_W="1e-4", lambda_H="1e-4",
                                       lambda_b=0),
        "ce_global_minimizer": Problem("ce", K=K, n=n, lambda_W="1e-4", lambda_H="1e-4",
                                       lambda_b="1e-4"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, p in cases.items():
            if p.loss == "mse":
                s = K // 2
                S = centered_basis(K) @ np.linalg.qr(rng.standard_normal((K - 1, s)))[0]
                x = mse_critical_point(p, S)
                expected = -1.0 / (K * np.sqrt(n)) + float(p.sqrt_lwlh)  # (-2s+2t)/|D|^2
            else:
                x = closed_form_global_minimizer(p)
                expected = 0.0
            files = []
            for part, a in zip("WHb", x, strict=True):
                f = os.path.join(tmp, f"{name}_{part}.npy")
                np.save(f, np.ascontiguousarray(a))
                files.append(f)
            point_mb = sum(a.nbytes for a in x) / 2**20
            del x
            arg = json.dumps({"problem": p.to_dict(), "files": files, "tol": tol,
                              "maxiter": maxiter})
            res = subprocess.run([sys.executable, "-c", CHILD, arg], capture_output=True,
                                 text=True, cwd=str(ROOT), check=False, env=dict(os.environ))
            if res.returncode != 0:
                out[name] = {"error": res.stderr.strip().splitlines()[-1:]}
                continue
            r = json.loads(res.stdout)
            r["expected_value"] = expected
            r["point_mb"] = point_mb
            r["point_plus_direction_mb"] = 2 * point_mb
            r["peak_rss_over_point_plus_direction"] = r["peak_rss_mb"] / (2 * point_mb)
            r["solve_rss_increase_over_point_plus_direction"] = (
                (r["peak_rss_mb"] - r["rss_after_imports_mb"]) / (2 * point_mb))
            out[name] = r
    return out


def _thread_env(threads: int | None) -> dict:
    env = dict(os.environ)
    if threads:
        for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[k] = str(threads)
    return env


def _part(name: str, quick: bool, repeats: int, threads: int | None = None) -> dict:
    """Run one part in a fresh process (thread pools of NumPy's BLAS and of PyTorch
    spin-wait and would slow each other down in one process)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--part", name,
           "--repeats", str(repeats)] + (["--quick"] if quick else []) + \
        (["--threads", str(threads)] if threads else [])
    res = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=str(ROOT),
                         env=_thread_env(threads))
    if res.returncode != 0:
        return {"error": (res.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(res.stdout)


def _run_part(name: str, quick: bool, repeats: int) -> dict:
    ag = (30, 30, 10) if quick else (100, 100, 100)
    tp = [(30, 30, 10)] if quick else [(100, 100, 100), (1000, 1000, 10)]
    if name == "autograd":
        return bench_autograd(*ag, repeats=repeats)
    if name == "hvp-numpy":
        return bench_hvp_numpy(*ag, repeats=repeats)
    if name == "throughput-numpy":
        return {"runs": [bench_throughput(*s, repeats=max(3, repeats // 2)) for s in tp]}
    if name == "throughput-torch":
        try:
            import torch  # noqa: F401
        except ImportError:
            return {"runs": []}
        return {"runs": [bench_throughput(*tp[0], repeats=max(3, repeats // 2),
                                          backend="torch")]}
    if name == "eigen":
        return bench_eigen(60 if quick else 1000, 10, tol=1e-8, maxiter=60)
    if name == "hvp-floor":
        return bench_hvp_floor(*ag, repeats=repeats)
    if name == "sample":
        return bench_sample(repeats)
    raise SystemExit(f"unknown part {name!r}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke test)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS/OpenMP/torch threads in every part (default: the libraries' own)")
    ap.add_argument("--only", default=None, metavar="PARTS",
                    help="comma-separated parts: autograd, hvp-numpy, throughput-numpy, "
                         "throughput-torch, eigen, hvp-floor, sample")
    ap.add_argument("--part", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.part:
        if a.threads:
            try:
                import torch

                torch.set_num_threads(a.threads)
            except ImportError:
                pass
        print(json.dumps(_run_part(a.part, a.quick, a.repeats)))
        return 0
    t0 = time.perf_counter()
    report: dict = {"machine": {"cpus": os.cpu_count(), "numpy": np.__version__,
                                "threads": a.threads or "library default",
                                "loadavg_start": os.getloadavg()}}
    parts = ("autograd", "hvp-numpy", "throughput-numpy", "throughput-torch", "eigen",
             "hvp-floor", "sample")
    for name in (a.only.split(",") if a.only else parts):
        report[name] = _part(name, a.quick, a.repeats, a.threads)
    ag, hn = report.get("autograd", {}), report.get("hvp-numpy", {})
    for loss in ("ce", "mse"):
        if loss in ag and loss in hn:
            ag[loss]["closed_form_numpy_ms"] = hn[loss]["closed_form_numpy_ms"]
            ag[loss]["speedup_numpy"] = (ag[loss]["autograd_double_backward_ms"]
                                         / hn[loss]["closed_form_numpy_ms"])
    report["machine"]["loadavg_end"] = os.getloadavg()
    report["seconds"] = time.perf_counter() - t0
    if a.json:
        print(json.dumps(report, indent=2))
        return 0
    _print(report)
    return 0


def _print(r: dict) -> None:
    m = r["machine"]
    print(f"machine: {m['cpus']} CPUs, threads {m['threads']}, numpy {m['numpy']}, load average "
          f"{m['loadavg_start'][0]:.2f} -> {m['loadavg_end'][0]:.2f}")
    ag = r.get("autograd")
    if ag is None:
        pass
    elif "skipped" in ag or "error" in ag:
        print(f"1. closed-form HVP vs autograd: skipped ({ag.get('skipped', ag.get('error'))})")
    else:
        print(f"1. closed-form HVP vs torch autograd double backward, CPU, K={ag['K']}, "
              f"d={ag['d']}, n={ag['n']} (target >= 3x)")
        for loss in ("ce", "mse"):
            x = ag[loss]
            numpy_ms = x.get("closed_form_numpy_ms", float("nan"))
            print(f"   {loss}: closed form {x['closed_form_torch_ms']:.2f} ms (torch), "
                  f"{numpy_ms:.2f} ms (numpy); autograd "
                  f"{x['autograd_double_backward_ms']:.2f} ms (graph kept), "
                  f"{x['autograd_with_forward_ms']:.2f} ms (with forward) -> speedup "
                  f"{x['speedup_torch']:.2f}x torch / {x.get('speedup_numpy', float('nan')):.2f}x"
                  f" numpy ({x['speedup_vs_full_autograd_torch']:.2f}x vs autograd with forward);"
                  f" max |diff| {x['max_abs_difference']:.1e}")
    if "throughput-numpy" in r:
        print("2. HVP throughput as a fraction of the matmul rate (target >= 50%)")
    for t in (r.get("throughput-numpy", {}).get("runs", [])
              + r.get("throughput-torch", {}).get("runs", [])):
        print(f"   {t['backend']} K={t['K']} d={t['d']} n={t['n']}: matmul "
              f"{t['matmul_gflops']:.1f} GFLOP/s; " + "; ".join(
                  f"{loss} HVP {t[loss]['hvp_ms']:.1f} ms = {t[loss]['hvp_gflops']:.1f} GFLOP/s "
                  f"= {100 * t[loss]['fraction_of_matmul_rate']:.0f}%" for loss in ("ce", "mse")))
    e = r.get("eigen")
    if e is not None and "error" in e:
        print(f"3./4. eigenvalue: error {e['error']}")
    elif e is not None:
        print(f"3./4. smallest Hessian eigenvalue, K=d={e['K']}, n={e['n']}, Lanczos, CPU "
              f"(target < 30 s; peak RSS <= 3x (W, H, b) + one direction)")
        for name in ("mse_subspace_saddle", "ce_global_minimizer"):
            x = e.get(name, {})
            if "error" in x:
                print(f"   {name}: error {x['error']}")
                continue
            print(f"   {name}: {x['seconds']:.1f} s, {x['iterations']} iterations, value "
                  f"{x['value']:.6g} (expected {x['expected_value']:.6g}), margin "
                  f"{x['margin']:.1e}, converged {x['converged']}; peak RSS "
                  f"{x['peak_rss_mb']:.0f} MB (imports {x['rss_after_imports_mb']:.0f} MB) = "
                  f"{x['peak_rss_over_point_plus_direction']:.2f}x of (W,H,b)+direction "
                  f"({x['point_plus_direction_mb']:.0f} MB); solve alone "
                  f"{x['solve_rss_increase_over_point_plus_direction']:.2f}x")
    h = r.get("hvp-floor")
    if h is not None and "error" not in h:
        print(f"5. CE HVP from the point vs seven K x d x N products + one exp, K={h['K']}, "
              f"d={h['d']}, n={h['n']} (target <= 1.5x): HVP {h['hvp_from_point_ms']:.1f} ms "
              f"(at a kept state {h['hvp_at_state_ms']:.1f} ms), floor {h['floor_ms']:.1f} ms "
              f"-> {h['ratio']:.2f}x (runs: " + ", ".join(f"{x:.2f}" for x in h["ratios"]) + ")")
    sm = r.get("sample")
    if sm is not None and "error" not in sm:
        print("6. ufm-sym sample, K=100, n=3, count 1 (target <= 60 s)")
        for run in sm["runs"]:
            print(f"   {run['args']}: {run['seconds']:.1f} s wall, {run['cpu_seconds']:.1f} s "
                  f"CPU, exit {run['exit']}; samples {run.get('samples')}")
    print(f"total {r['seconds']:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
