"""Child processes of the scale benchmark: wall time, exit status and peak memory of one step."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

# Peak memory. A child's kernel high-water mark is exact but only the child can read it (getrusage
# RUSAGE_CHILDREN in this process is the maximum over *all* children so far, so deltas are meaningless).
# So every child runs through a tiny `python -c` wrapper that writes its own ru_maxrss (RUSAGE_SELF, and
# RUSAGE_CHILDREN for any worker processes it waited for) to a file at exit. A build that uses worker
# processes would make one process's peak too small, so this process also samples the total RSS of the
# child's whole process tree from /proc every 0.2 s. peak_rss_mib is the larger of the two.
EPILOGUE = """
import json as _j, resource as _r
with open(_RSS_FILE, "w") as _f:
    _j.dump({"self_kib": _r.getrusage(_r.RUSAGE_SELF).ru_maxrss,
             "children_kib": _r.getrusage(_r.RUSAGE_CHILDREN).ru_maxrss}, _f)
"""
CLI_WRAPPER = """
import runpy, sys
_RSS_FILE, sys.argv = sys.argv[1], ["trialkg", *sys.argv[2:]]
try:
    runpy.run_module("kg.cli", run_name="__main__", alter_sys=True)
finally:
""" + "\n".join("    " + line for line in EPILOGUE.strip().splitlines()) + "\n"


def _tree_rss_kib(root: int) -> int:
    """Total resident memory of a process and its descendants, from /proc (0 where there is none)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * page_kib
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total


def run_step(argv: list[str], cwd: Path, timeout: float, label: str = "-m kg.cli") -> dict[str, Any]:
    """Run one child (``python -c CODE RSS_FILE ARGS...``): exit status, wall time, peak memory, output."""
    rss_file, out_file, err_file = cwd / ".rss.json", cwd / ".stdout", cwd / ".stderr"
    rss_file.unlink(missing_ok=True)
    cmd = [sys.executable, "-c", argv[0], str(rss_file), *argv[1:]]
    peak_tree = [0]
    result: dict[str, Any] = {"command": " ".join(["python", label, *map(shlex.quote, argv[1:])])}
    with open(out_file, "wb") as out, open(err_file, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, start_new_session=True)
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                peak_tree[0] = max(peak_tree[0], _tree_rss_kib(proc.pid))
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            result["exit"] = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the session this step started, nothing else
            proc.wait()
            result.update(exit=None, error=f"timeout after {timeout:.0f} s")
        except BaseException:  # Ctrl-C: the child runs in its own session, so stop it here
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        finally:
            done.set()
        result["wall_s"] = round(time.perf_counter() - t0, 3)
        sampler.join()
    print(f"  {label} {' '.join(a[-40:] for a in argv[1:3])}: exit {result['exit']}, {result['wall_s']:.1f} s",
          file=sys.stderr, flush=True)
    stdout = out_file.read_text(encoding="utf-8", errors="replace")
    stderr = err_file.read_text(encoding="utf-8", errors="replace")
    rss = json.loads(rss_file.read_text()) if rss_file.exists() else {}
    peaks = {"self": rss.get("self_kib", 0), "children": rss.get("children_kib", 0), "tree_sampled": peak_tree[0]}
    result["peak_rss_mib"] = round(max(peaks["self"], peaks["tree_sampled"]) / 1024, 1)
    result["peak_rss_detail_mib"] = {k: round(v / 1024, 1) for k, v in peaks.items()}
    result["ok"] = result["exit"] == 0
    if not result["ok"]:
        result.setdefault("error", f"exit status {result['exit']}")
        result["stderr_tail"] = stderr[-2000:]
    result["stdout"] = stdout
    return result


def cli(*args: str | Path) -> list[str]:
    """A `python -m kg.cli ARGS` step, through the wrapper that reports peak memory."""
    return [CLI_WRAPPER, *map(str, args)]


def last_json(step: dict[str, Any]) -> dict[str, Any]:
    """The last JSON line a step printed (and its output dropped from the step's record)."""
    lines = [ln for ln in step.pop("stdout", "").splitlines() if ln.startswith("{")]
    return json.loads(lines[-1]) if lines else {}
