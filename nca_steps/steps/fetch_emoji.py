"""Step ``fetch_emoji``: put one emoji's Noto PNG in the cache, with a sidecar saying its source.

A cached PNG is never fetched again (Snakemake sees the output and skips the job).
"""

from __future__ import annotations

import argparse

from nca_steps.cli import parser, run_step
from nca_steps.download import RETRIES, TIMEOUTS
from nca_steps.emoji import DEFAULT_BASE_URL, DEFAULT_FLAGS_URL, from_u_notation, noto_code
from nca_steps.emoji_sources import SOURCES, obtain
from nca_steps.files import write_bytes, write_json


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("nca_steps.steps.fetch_emoji", __doc__)
    p.add_argument(
        "--emoji",
        required=True,
        type=from_u_notation,
        help="the emoji itself (🦎) or its code points in U+ notation (U+1F98E), as the "
        "workflow passes it: ASCII under any locale",
    )
    p.add_argument("--png-out", required=True)
    p.add_argument("--source-out", required=True, help="JSON sidecar naming the source")
    p.add_argument("--sources", nargs="+", default=list(SOURCES), choices=SOURCES)
    p.add_argument("--base-url", default=DEFAULT_BASE_URL, help="Noto PNG folder URL")
    p.add_argument(
        "--flags-url", default=DEFAULT_FLAGS_URL, help="region-flags PNG folder URL (for flags)"
    )
    p.add_argument("--timeout", type=TIMEOUTS.parse, default=10.0, help="seconds per HTTP attempt")
    p.add_argument("--retries", type=RETRIES.parse, default=3)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    code = noto_code(args.emoji)
    data, record = obtain(
        args.emoji,
        code,
        sources=args.sources,
        base_url=args.base_url,
        flags_url=args.flags_url,
        timeout=args.timeout,
        retries=args.retries,
    )
    write_bytes(args.png_out, data)
    write_json(args.source_out, {"emoji": args.emoji, "code": code, **record})
    print(f"{args.emoji} ({code}) from {record['source']}")


if __name__ == "__main__":
    run_step(main)
