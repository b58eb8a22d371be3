"""The verification report: the table and the JSON of ``ufm-sym verify``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from ufm_sym import __version__
from ufm_sym.claims import ClaimResult, Evidence, Registry, Report, VerifyContext

JSON_SCHEMA_VERSION = 1


def run_with_progress(registry: Registry, ctx: VerifyContext,
                      labels: Sequence[str] | None = None) -> Report:
    """Run the claims with a progress bar on stderr (shown only on a terminal)."""
    from tqdm import tqdm

    total = len(registry.closure(labels)) if labels else len(registry)
    bar = tqdm(total=total, desc="verify", unit="claim", file=sys.stderr,
               disable=None, leave=False)
    last: list[str] = []

    def progress(label: str) -> None:
        if last:
            bar.update(1)
        last.append(label)
        bar.set_postfix_str(label)

    try:
        return registry.run(ctx, labels, progress=progress)
    finally:
        bar.update(1 if last else 0)
        bar.close()


def evidence_cell(e: Any) -> str:
    if e.residual == "exact":
        return "exact"
    if e.digits is not None:
        return f"{e.digits:g} digits"
    return "holds" if e.passed else (e.residual or "fails")


def residual_cell(r: ClaimResult) -> str:
    """The residual of the strongest evidence that passed (of the first failure when
    the claim failed)."""
    if not r.evidence:
        return "-"
    if r.status == "failed":
        bad = [e for e in r.evidence if not e.passed][0]
        return bad.residual or "fails"
    best = [e for e in r.evidence if e.level == r.strongest]
    return evidence_cell(best[0]) if best else "-"


def hp_digits_cell(r: ClaimResult) -> str:
    """The fewest digits among the claim's high-precision evidence."""
    digits = [e.digits for e in r.evidence if e.level == "high-precision" and e.digits is not None]
    if digits:
        return f"{min(digits):g}"
    hp = [e for e in r.evidence if e.level == "high-precision"]
    return "holds" if hp and all(e.passed for e in hp) else "-"


def to_table(report: Report, details: bool = False) -> str:
    rows = [("label", "title", "status", "evidence", "residual", "hp digits", "samples",
             "time")]
    for r in report.results:
        strongest = r.strongest or "-"
        if r.cited:
            strongest += " (cited)"
        samples = sum(e.samples for e in r.evidence)
        rows.append((r.label, _clip(r.title, 46), r.status, strongest, residual_cell(r),
                     hp_digits_cell(r), str(samples), f"{r.seconds:.2f}s"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for k, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
        elif details:
            res = report.results[k - 1]
            for e in res.evidence:
                mark = "ok  " if e.passed else "FAIL"
                val = e.residual if e.residual is not None else "-"
                dig = f", {e.digits:g} digits" if e.digits is not None else ""
                lines.append(f"    {mark} {e.level:14s} {val}{dig}, {e.samples} samples, "
                             f"{e.seconds:.2f}s: {e.detail}")
            for f in res.findings:
                lines.append(f"    note: {f}")
    n_pass = sum(r.status == "passed" for r in report.results)
    lines.append("")
    lines.append(f"{n_pass}/{len(report.results)} claims passed "
                 f"(dps {report.context.dps}, seed {report.context.seed}, "
                 f"{report.context.numeric_samples} numeric samples per check)")
    for r in report.failures():
        lines.append(f"{r.status.upper()}: {r.label}: {r.message}")
    return "\n".join(lines) + "\n"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def to_json(report: Report) -> dict[str, Any]:
    """The stable JSON schema of ``ufm-sym verify --json`` (see the README)."""
    ctx = report.context
    return {
        "schema": JSON_SCHEMA_VERSION,
        "tool": "ufm-sym",
        "version": __version__,
        "dps": ctx.dps,
        "seeds": ctx.seeds(),
        "numeric_samples": ctx.numeric_samples,
        "backend": ctx.backend,
        "passed": report.passed,
        "claims": [r.to_json() for r in report.results],
    }


class ReportFormatError(ValueError):
    """A ``verify --json`` report that cannot be read back (the message says why)."""


def from_json(data: Any) -> Report:
    """The :class:`~ufm_sym.claims.Report` of a ``ufm-sym verify --json`` document
    (the inverse of :func:`to_json`), so that one verification run serves the
    appendix, the graph and the blueprint.

    >>> from ufm_sym.claims import Claim, Registry
    >>> reg = Registry()
    >>> c = reg.add(Claim("eq:0.1", "one plus one"))
    >>> _ = c.check("symbolic")(lambda claim, ctx: Evidence.exact("symbolic", True, "2 = 2"))
    >>> again = from_json(to_json(reg.run(VerifyContext(dps=30))))
    >>> again.context.dps, again.results[0].status, again.results[0].evidence[0].residual
    (30, 'passed', 'exact')
    >>> from_json({"schema": 99})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ufm_sym.report.ReportFormatError: schema 99 is not 1 (write it again with ...)
    """
    if not isinstance(data, dict) or data.get("tool", "ufm-sym") != "ufm-sym":
        raise ReportFormatError("not a `ufm-sym verify --json` report")
    if data.get("schema") != JSON_SCHEMA_VERSION:
        raise ReportFormatError(f"schema {data.get('schema')!r} is not {JSON_SCHEMA_VERSION} "
                                "(write it again with this version's `ufm-sym verify --json`)")
    try:
        ctx = VerifyContext(dps=int(data["dps"]), seed=int(data["seeds"]["seed"]),
                            numeric_samples=int(data["numeric_samples"]),
                            backend=str(data.get("backend", "numpy")))
        results = []
        for c in data["claims"]:
            evidence = [Evidence(e["level"], bool(e["passed"]), e.get("residual"),
                                 e.get("digits"), int(e.get("samples", 0)),
                                 str(e.get("detail", "")), float(e.get("seconds", 0.0)))
                        for e in c["evidence"]]
            results.append(ClaimResult(
                str(c["label"]), str(c["title"]), tuple(c.get("uses", ())), str(c["status"]),
                c.get("strongest"), evidence, str(c.get("message", "")),
                float(c.get("seconds", 0.0)), bool(c.get("cited", False)),
                str(c.get("kind", "equation")), list(c.get("findings", []))))
    except (KeyError, TypeError, ValueError) as exc:
        detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise ReportFormatError(f"malformed report ({detail})") from None
    return Report(results, ctx)


def load_report(path: str, registry: Registry, labels: Sequence[str] | None = None,
                option: str = "--from-report") -> Report:
    """Read the report at ``path`` for ``registry``: every claim of the report must be
    in the registry, and (with ``labels``, a closure) every label must be in the
    report, whose results are then restricted to them.  Any problem is bad input
    (:class:`~ufm_sym.model.UFMInputError` naming ``option`` and the path)."""
    import json

    from ufm_sym.model import UFMInputError

    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise UFMInputError(f"{option}: cannot read {path!r} "
                            f"({exc.strerror or type(exc).__name__})") from None
    except ValueError as exc:
        raise UFMInputError(f"{option}: {path!r} is not JSON ({exc})") from None
    try:
        report = from_json(data)
    except ReportFormatError as exc:
        raise UFMInputError(f"{option}: {path!r}: {exc}") from None
    unknown = [r.label for r in report.results if r.label not in registry]
    if unknown:
        raise UFMInputError(f"{option}: {path!r} has claims this registry does not know: "
                            f"{', '.join(unknown[:5])} (run `ufm-sym verify --json` again)")
    if labels:
        have = report.by_label()
        missing = [lbl for lbl in labels if lbl not in have]
        if missing:
            raise UFMInputError(f"{option}: {path!r} has no result for {', '.join(missing[:5])}"
                                " (verify those claims, or name others)")
        report = Report([have[lbl] for lbl in labels], report.context)
    return report
