"""Step ``fetch_reference``: put one of the Distill article's trained models in the cache, with a
sidecar giving its URL, the repository's commit, the licence and the attribution it asks for.

The file is checked to be one of the article's models (``nca_steps.distill_models``) before it
is written; a cached file is never fetched again (Snakemake sees the output and skips the job).
"""

from __future__ import annotations

import argparse
import hashlib

from nca_steps import distill_models
from nca_steps.cli import parser, run_step
from nca_steps.download import RETRIES, TIMEOUTS, NotFound, get
from nca_steps.emoji import from_u_notation
from nca_steps.errors import StepError
from nca_steps.files import write_bytes, write_json


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("nca_steps.steps.fetch_reference", __doc__)
    p.add_argument("--experiment", required=True, choices=tuple(distill_models.EXPERIMENTS))
    p.add_argument(
        "--emoji", required=True, type=from_u_notation, help="the emoji (🦎) or U+ notation"
    )
    p.add_argument("--models-url", default=distill_models.DEFAULT_MODELS_URL)
    p.add_argument("--json-out", required=True, help="the model as published (.json)")
    p.add_argument("--source-out", required=True, help="JSON sidecar: URL, commit, licence")
    p.add_argument("--timeout", type=TIMEOUTS.parse, default=10.0, help="seconds per attempt")
    p.add_argument("--retries", type=RETRIES.parse, default=3)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    url = distill_models.model_url(args.experiment, args.emoji, args.models_url)
    label = f"the article's {args.experiment} {args.emoji}"
    try:
        data = get(url, label=label, timeout=args.timeout, retries=args.retries)
    except NotFound as err:
        raise StepError(f"{err}: --models-url may not be the article's model folder") from err
    distill_models.article_params(data, name=f"the download of {label} from {url}")
    write_bytes(args.json_out, data)
    write_json(
        args.source_out,
        {
            "experiment": args.experiment,
            "emoji": args.emoji,
            "url": url,
            "commit": distill_models.COMMIT if distill_models.COMMIT in url else None,
            "licence": distill_models.LICENCE,
            "attribution": distill_models.ATTRIBUTION,
            "sha256": hashlib.sha256(data).hexdigest(),
        },
    )
    print(f"{label} from {url}")


if __name__ == "__main__":
    run_step(main)
