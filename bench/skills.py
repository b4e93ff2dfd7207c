"""The skills benchmark: each part compares os1 with a baseline in the same run.

- declutter scan files/s vs ``find PATH -type f | wc -l``; duplicate detection MB/s
  (``skills_files``);
- ICS parse events/s vs a bare ``icalendar`` parse (``skills_calendar``);
- mail index messages/s vs reading the same Maildir with the stdlib ``mailbox``
  (``skills_mail``);
- tool choice with the real embedded model: accuracy and latency, os1's grammar-held
  choice vs the same prompt without a grammar (``skills_choice``).

Run: .venv/bin/python bench/skills.py [--quick] [--only files,calendar,mail,choice] [--json]
The figures are also written to bench/results/skills.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

import skills_calendar
import skills_choice
import skills_files
import skills_mail
from figures import save
from os1.config import load_settings
from os1.models.assets import resolve_llm_path
from os1.models.local_gguf import LocalGGUF

PARTS = ("files", "calendar", "mail", "choice")


async def _choice(quick: bool, console: Console) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="os1-bench-skills-") as home:
        settings = load_settings({"home": home})
        with console.status("loading the model"):
            llm = LocalGGUF(resolve_llm_path(settings), settings.n_ctx, settings.threads)
        try:
            count = len(skills_choice.REQUESTS[::3] if quick else skills_choice.REQUESTS)
            columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress("tool choice", *columns, console=console) as progress:
                task = progress.add_task("choice", total=count)
                return await skills_choice.report(llm, quick, tick=lambda: progress.advance(task))
        finally:
            llm.close()


def main(args: argparse.Namespace) -> dict[str, Any]:
    console = Console(stderr=True)
    wanted = [p.strip() for p in args.only.split(",")] if args.only else list(PARTS)
    unknown = set(wanted) - set(PARTS)
    if unknown:
        raise SystemExit(f"unknown part(s): {', '.join(sorted(unknown))}; parts: {PARTS}")
    figures: dict[str, Any] = {"quick": args.quick, "when": time.strftime("%Y-%m-%d %H:%M")}
    if "files" in wanted:
        figures["files"] = skills_files.report(args.quick)
    if "calendar" in wanted:
        figures["calendar"] = skills_calendar.report(args.quick)
    if "mail" in wanted:
        figures["mail"] = skills_mail.report(args.quick)
    if "choice" in wanted:
        figures["choice"] = asyncio.run(_choice(args.quick, console))
        print("\n".join(skills_choice.lines(figures["choice"])))
    save("skills-quick" if args.quick else "skills", figures)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="smaller sets, for a quick look")
    parser.add_argument("--only", default="", help="comma-separated parts: " + ",".join(PARTS))
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    arguments = parser.parse_args()
    outcome = main(arguments)
    if arguments.json:
        print(json.dumps(outcome, indent=2, ensure_ascii=False))
