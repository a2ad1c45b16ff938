# nca-steps: targets -> PGPE training per (target x combination) -> evaluation -> GIFs and figures.
# Run:  snakemake --cores all          (settings: config.yaml; schema: workflow/schemas/)

from snakemake.utils import min_version

min_version("8.0")


configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/targets.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/render.smk"


rule all:
    input:
        all_outputs(),
    default_target: True
