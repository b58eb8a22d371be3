"""BLAS threads for the float64 sampler: one thread for small products.

The sampler's work is a long chain of small matrix products (``K x d x N`` with ``K``,
``d`` up to a few hundred), each a few milliseconds.  A multi-threaded BLAS (OpenBLAS
spins its threads between calls) gains little on such products and, on a machine whose
cores are shared with other processes, loses badly: on 2 shared cores ``ufm-sym sample
--loss ce --K 100 --n 3 --lambda-W 0.001 --lambda-H 0.001`` took 142 s with two BLAS
threads and 3.8 s with one (``benchmarks/bench_numeric.py``).  So products of at most
:data:`SMALL_PRODUCT` multiply-adds run on one BLAS thread; larger ones keep the
library's default.  Nothing changes in the numbers: only the thread count.

>>> from ufm_sym import Problem
>>> blas_threads(Problem("ce", K=100, n=3, lambda_W=1, lambda_H=1))
1
>>> blas_threads(Problem("ce", K=1000, n=10, lambda_W=1, lambda_H=1)) is None
True
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ufm_sym.model import Problem

#: multiply-adds ``K d N`` of one product up to which the sampler uses one BLAS thread
SMALL_PRODUCT = 10**8


def blas_threads(problem: Problem) -> int | None:
    """The BLAS thread count for ``problem``'s products: 1 if small, else ``None`` (default)."""
    return 1 if problem.K * problem.d * problem.N <= SMALL_PRODUCT else None


@contextlib.contextmanager
def sampler_threads(problem: Problem) -> Iterator[None]:
    """Run the body with :func:`blas_threads` BLAS threads (threadpoolctl)."""
    limit = blas_threads(problem)
    if limit is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=limit, user_api="blas"):
        yield
