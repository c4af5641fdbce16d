"""Turn locust's `<prefix>_stats.csv` into the Markdown table of docs/benchmarks.md ("## API under load"), with the
web processes' CPU per request (`web_cpu_seconds`, written by run.sh) before it and a summary of the run's drills
(`drills.csv`, written by locustfile.DrillRunner) after it, when they are given."""

import csv
import statistics
import sys
from pathlib import Path


def main(prefix: str, drills: str | None = None, web_cpu: str | None = None) -> None:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if web_cpu and Path(web_cpu).exists():
        seconds = float(Path(web_cpu).read_text() or 0)
        requests = next((int(row["Request Count"]) for row in rows if row["Name"] == "Aggregated"), 0)
        print(f"Web processes' CPU: {seconds:.1f} s for {requests} requests, {1000 * seconds / max(requests, 1):.1f} ms "
              "a request.\n")  # fmt: skip
    print("| endpoint | requests | failures | req/s | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        name = "**all**" if row["Name"] == "Aggregated" else row["Name"]
        print(
            f"| {name} | {row['Request Count']} | {row['Failure Count']} | {float(row['Requests/s']):.1f} "
            f"| {row['50%']} | {row['95%']} | {row['99%']} | {float(row['Max Response Time']):.0f} |"
        )
    if drills and Path(drills).exists():
        with open(drills, newline="") as handle:
            runs = list(csv.DictReader(handle))
        print()
        print("| drill | started | succeeded | start to finished: median (s) | max (s) |")
        print("|---|---:|---:|---:|---:|")
        for kind in sorted({run["kind"] for run in runs}):
            mine = [run for run in runs if run["kind"] == kind]
            seconds = [float(run["seconds"]) for run in mine if run["status"] == "succeeded"]
            median = f"{statistics.median(seconds):.1f}" if seconds else "–"
            longest = f"{max(seconds):.1f}" if seconds else "–"
            succeeded = sum(run["status"] == "succeeded" for run in mine)
            print(f"| {kind} | {len(mine)} | {succeeded} | {median} | {longest} |")


if __name__ == "__main__":
    main(*sys.argv[1:4])
