"""Figures of the scale benchmark: one flat record per factor, least-squares projection, table and plot."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

TARGET_STUDIES = 560_000
HEADLINE = "myeloma-drugs-repurposed-for-autoimmunity"
TITLE = "TrialKG at scale: synthetic copies of 635 real ClinicalTrials.gov records (SYNTHETIC data)"
# (figure, unit) projected to TARGET_STUDIES; the first three are the time, disk and memory asked for.
PROJECTED = (("build_wall_s", "s"), ("store_bytes", "bytes"), ("build_peak_rss_mib", "MiB"),
             ("unchanged_rebuild_wall_s", "s"), ("export_wall_s", "s"), ("nq_bytes", "bytes"),
             ("bulk_load_wall_s", "s"), ("headline_process_wall_s", "s"))


def flatten(res: dict[str, Any]) -> dict[str, Any]:
    """The figures of one factor, flat, with the steps' details (commands, outputs, errors) under "steps"."""
    steps: dict[str, Any] = {k: res[k] for k in ("build", "counts", "headline_process", "export", "bulk_load", "unchanged_rebuild")
             if k in res}
    queries = res.get("queries") or {}
    slowest = max(queries, key=queries.__getitem__) if queries else None
    counts = steps.get("counts", {})
    flat = {
        "factor": res["factor"], "records": res.get("records"), "input": res.get("input"),
        "studies": res.get("studies"), "documents": res.get("documents"), "quads": res.get("quads"),
        "build_ok": steps.get("build", {}).get("ok", False),
        "build_wall_s": steps.get("build", {}).get("wall_s"),
        "build_peak_rss_mib": steps.get("build", {}).get("peak_rss_mib"),
        "store_bytes": res.get("store_bytes"), "view_bytes": res.get("view_bytes"),
        "export_wall_s": steps.get("export", {}).get("wall_s"),
        "export_peak_rss_mib": steps.get("export", {}).get("peak_rss_mib"),
        "nq_bytes": steps.get("export", {}).get("nq_bytes"),
        "bulk_load_wall_s": steps.get("bulk_load", {}).get("wall_s"),
        "bulk_load_in_process_s": _round(steps.get("bulk_load", {}).get("load_s")),
        "build_to_bulk_load_ratio": res.get("build_to_bulk_load_ratio"),
        "headline_process_wall_s": steps.get("headline_process", {}).get("wall_s"),
        "headline_in_process_s": queries.get(HEADLINE),
        "store_open_s": _round(counts.get("open_s")),
        "queries_s": queries, "query_errors": counts.get("query_errors") or {},
        "max_query": {"name": slowest, "s": queries[slowest]} if slowest else None,
        "unchanged_rebuild_wall_s": steps.get("unchanged_rebuild", {}).get("wall_s"),
        "unchanged_rebuild_peak_rss_mib": steps.get("unchanged_rebuild", {}).get("peak_rss_mib"),
        "unchanged_documents": steps.get("unchanged_rebuild", {}).get("unchanged"),
    }
    errors = {k: v["error"] for k, v in steps.items() if v.get("error")}
    if res.get("error"):
        errors["factor"] = res["error"]
    return flat | {"errors": errors, "synthesis_s": res.get("synthesis_s"), "steps": steps}


def _round(x: float | None, digits: int = 3) -> float | None:
    return None if x is None else round(x, digits)


def fit(points: list[tuple[float, float]]) -> dict[str, Any]:
    """Least squares y = a + b x and the log-log exponent; with one size only, y/x (an upper bound per study:
    it charges the fixed costs, such as the reference graph, to the studies) and no projection."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    n, mx, my = len(xs), sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return {"points": n, "per_study_upper_bound": my / mx, "method": "one size only: no fit, no projection"}
    b = sum((x - mx) * (y - my) for x, y in points) / sxx
    out: dict[str, Any] = {"points": n, "per_study": b, "intercept": my - b * mx,
                           "method": "least squares y = intercept + per_study * studies",
                           "linear": my - b * mx + b * TARGET_STUDIES}
    if min(xs + ys) > 0:
        lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
        mlx, mly = sum(lx) / n, sum(ly) / n
        e = sum((u - mlx) * (v - mly) for u, v in zip(lx, ly)) / sum((u - mlx) ** 2 for u in lx)
        out["loglog_exponent"] = round(e, 3)
        out["power_law"] = math.exp(mly - e * mlx) * TARGET_STUDIES ** e
    return out


def projection(factors: list[dict[str, Any]]) -> dict[str, Any]:
    """Slopes per study and the figures projected to TARGET_STUDIES studies (SYNTHETIC-data extrapolation)."""
    out: dict[str, Any] = {"studies": TARGET_STUDIES, "note": (
        "Extrapolated from synthetic copies; 'linear' is the least-squares line in studies, 'power_law' the "
        "log-log fit (exponent > 1 means superlinear growth, and then the linear figure is optimistic).")}
    for key, unit in PROJECTED:
        points = [(float(f["studies"]), float(f[key])) for f in factors if f.get("studies") and f.get(key) is not None]
        if points:
            out[key] = {"unit": unit, **{k: round(v, 6) if isinstance(v, float) else v for k, v in fit(points).items()}}
    readable = {"build_wall_s": ("time_hours", 1 / 3600), "store_bytes": ("disk_gb", 1e-9),
                "build_peak_rss_mib": ("memory_gib", 1 / 1024)}
    out["summary"] = {name: {k: round(out[key][k] * scale, 2) for k in ("linear", "power_law") if k in out[key]}
                      for key, (name, scale) in readable.items() if key in out}
    slopes = {"build_wall_s": "seconds_per_study", "store_bytes": "bytes_per_study", "build_peak_rss_mib": "mib_per_study"}
    out["slopes"] = {name: out[key].get("per_study", out[key].get("per_study_upper_bound"))
                     for key, name in slopes.items() if key in out}
    return out


def table(factors: list[dict[str, Any]]) -> str:
    cols = (("factor", "x", "{}"), ("studies", "studies", "{}"), ("quads", "quads", "{:,}"),
            ("build_wall_s", "build s", "{:.1f}"), ("build_peak_rss_mib", "RSS MiB", "{:.0f}"),
            ("store_bytes", "store MB", "MB"), ("export_wall_s", "export s", "{:.1f}"),
            ("bulk_load_wall_s", "bulk s", "{:.1f}"), ("build_to_bulk_load_ratio", "ratio", "{:.2f}"),
            ("headline_process_wall_s", "headline s", "{:.2f}"), ("max_query", "max query s", "Q"),
            ("unchanged_rebuild_wall_s", "rebuild s", "{:.1f}"))

    def cell(f: dict[str, Any], key: str, fmt: str) -> str:
        v = f.get(key)
        if v is None:
            return "-"
        return f"{v / 1e6:.0f}" if fmt == "MB" else f"{v['s']:.2f}" if fmt == "Q" else fmt.format(v)
    rows = [[h for _, h, _ in cols]] + [[cell(f, k, fmt) for k, _, fmt in cols] for f in factors]
    widths = [max(len(r[i]) for r in rows) for i in range(len(cols))]
    lines = ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in rows]
    slow = [f"x{f['factor']}: slowest query {f['max_query']['name']}" for f in factors if f.get("max_query")]
    errs = [f"x{f['factor']}: {k}: {v}" for f in factors for k, v in f.get("errors", {}).items()]
    return "\n".join(["SYNTHETIC copies of 635 real records", *lines, *slow, *errs])


def plot(factors: list[dict[str, Any]], path: Path) -> None:
    """A 2x2 figure: time, peak memory, store size and query time against the number of studies."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise RuntimeError("the plot needs matplotlib: pip install matplotlib") from exc
    done = [f for f in factors if f.get("studies")]
    xs = [f["studies"] for f in done]
    log = len(set(xs)) > 1
    panels = (("Time", "wall time (s)", (("build_wall_s", "build (process)"), ("unchanged_rebuild_wall_s", "unchanged rebuild"),
                                          ("export_wall_s", "export N-Quads"), ("bulk_load_wall_s", "Oxigraph bulk_load of the dump"))),
              ("Peak memory", "peak RSS (MiB)", (("build_peak_rss_mib", "build"), ("export_peak_rss_mib", "export"),
                                                  ("unchanged_rebuild_peak_rss_mib", "unchanged rebuild"))),
              ("Size on disk", "MB", (("store_mb", "Oxigraph store"), ("nq_mb", "N-Quads dump"))),
              ("Query time", "seconds", (("headline_process_wall_s", "headline query (process)"),
                                         ("headline_in_process_s", "headline query (in process)"),
                                         ("max_query_s", "slowest library query (in process)"))))
    derived = [f | {"store_mb": _mb(f.get("store_bytes")), "nq_mb": _mb(f.get("nq_bytes")),
                    "max_query_s": (f.get("max_query") or {}).get("s")} for f in done]
    fig, axes = plt.subplots(2, 2, figsize=(12, 9))
    for ax, (title, ylabel, series) in zip(axes.flat, panels):
        for key, label in series:
            pts = [(f["studies"], f[key]) for f in derived if f.get(key) is not None]
            if pts:
                ax.plot(*zip(*pts), marker="o", label=label)
        ax.set_title(title)
        ax.set_xlabel("studies (synthetic copies)")
        ax.set_ylabel(ylabel)
        if log:
            ax.set_xscale("log")
            ax.set_yscale("log")
        else:
            ax.set_ylim(bottom=0)
        ax.grid(True, which="both", alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
    failed = [f"x{f['factor']}" for f in done if not f.get("build_ok")]
    notes = (["log-log axes"] if log else []) + ([f"build exited non-zero at {', '.join(failed)}"] if failed else [])
    fig.suptitle("\n".join([TITLE, *notes]), fontsize=11)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _mb(n: int | None) -> float | None:
    return None if n is None else n / 1e6
