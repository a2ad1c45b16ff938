# nca-steps: targets -> ES training per (target x combination), or the Distill article's models
# imported -> evaluation -> GIFs and figures.
# Run:  snakemake --cores all          (settings: config.yaml; schema: workflow/schemas/)

from snakemake.utils import min_version

min_version("8.0")


configfile: "config.yaml"


# `snakemake --report results/report.html` after a run: this description, then every figure.
report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/targets.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/references.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/render.smk"


# On a cluster (workflow/profiles/slurm) only training and evaluation are submitted as jobs;
# these small ones run beside Snakemake, where the internet and the shared files are.
localrules:
    all,
    fetch_emoji,
    fetch_reference,
    import_reference,
    prepare_target,
    render_gif,
    build_viewer,
    index_viewers,
    plot_curve,
    plot_evaluation,
    summarize,
    plot_overview,


rule all:
    input:
        all_outputs(),
    default_target: True
