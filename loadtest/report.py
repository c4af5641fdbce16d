"""Turn locust's `<prefix>_stats.csv` into the Markdown table of docs/benchmarks.md ("## API load test")."""

import csv
import sys


def main(prefix: str) -> None:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    print("| endpoint | requests | failures | req/s | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        name = "**all**" if row["Name"] == "Aggregated" else row["Name"]
        print(
            f"| {name} | {row['Request Count']} | {row['Failure Count']} | {float(row['Requests/s']):.1f} "
            f"| {row['50%']} | {row['95%']} | {row['99%']} | {float(row['Max Response Time']):.0f} |"
        )


if __name__ == "__main__":
    main(sys.argv[1])
