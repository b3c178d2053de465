"""Running the view commands (`trialkg view | path | stats`) in-process, as test_viz and test_analytics do."""

from __future__ import annotations

import argparse

from kg.viz_cli import register


def viz_cli(argv: list[str]) -> int:
    """Parse ``argv`` with the view commands registered the way kg.cli registers them; run the command."""
    parser = argparse.ArgumentParser(prog="trialkg")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_store(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--store", default="trialkg-store")
        return sp

    register(sub, with_store)
    args = parser.parse_args(argv)
    return args.func(args)
