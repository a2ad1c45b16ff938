"""Step ``import_reference``: make one of the Distill article's models (fetched by
``fetch_reference``) a run folder like a trained run's, so that evaluation, GIFs, viewer and
summary treat it as one.

Writes the flat parameter vector (``params.npy``), a metrics table that says the model was
imported and from where (``nca_steps.metrics.write_imported_metrics``) and ``reference.json``:
the download's sidecar (URL, commit, licence, attribution, SHA-256) with the article's
settings the model runs at.
"""

from __future__ import annotations

import argparse
import hashlib
import json

from nca_steps import distill_models
from nca_steps.cli import parser, read_text, run_step
from nca_steps.errors import StepError
from nca_steps.files import write_json, write_npy
from nca_steps.metrics import write_imported_metrics


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = parser("nca_steps.steps.import_reference", __doc__)
    p.add_argument("--model", required=True, help="the article's model (.json, fetch_reference)")
    p.add_argument("--source", required=True, help="its sidecar from fetch_reference (.json)")
    p.add_argument("--params-out", required=True, help="flat parameter vector (.npy)")
    p.add_argument("--metrics-out", required=True, help="metrics table saying it was imported")
    p.add_argument("--info-out", required=True, help="reference.json: source, licence, settings")
    return p.parse_args(argv)


def read_source(path: str, model: bytes) -> dict:
    """The sidecar of ``model``, refused in one line if it is not fetch_reference's or describes
    another file (its SHA-256 differs)."""
    try:
        source = json.loads(read_text(path, "sidecar"))
        url, sha256 = source["url"], source["sha256"]
    except (ValueError, TypeError, KeyError) as err:
        raise StepError(f"sidecar {path} is not fetch_reference's (no {err})") from None
    if hashlib.sha256(model).hexdigest() != sha256:
        raise StepError(f"sidecar {path} describes another file than the model (SHA-256 differs)")
    if not isinstance(url, str):
        raise StepError(f"sidecar {path} gives no URL")
    return source


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    model = read_text(args.model, "model").encode()
    source = read_source(args.source, model)
    params = distill_models.article_params(model, name=f"model {args.model}")
    write_npy(args.params_out, params)
    write_imported_metrics(args.metrics_out, source["url"])
    settings = {**distill_models.SETTINGS, "target_size": distill_models.TARGET_SIZE,
                "grid": distill_models.GRID}  # fmt: skip
    write_json(args.info_out, {**source, "settings": settings})
    print(f"{source.get('experiment')} {source.get('emoji')} from {source['url']}: "
          f"{params.size} parameters -> {args.params_out}")  # fmt: skip


if __name__ == "__main__":
    run_step(main)
