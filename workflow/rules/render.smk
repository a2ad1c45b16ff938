# Rendering: per-run GIFs (growth, damage) and figures, then the summary table and overview.


rule render_gif:
    input:
        "results/runs/{target}/{combination}/{animation}_frames.npz",
    output:
        "results/runs/{target}/{combination}/{animation}.gif",
    params:
        zoom=config["render"]["zoom"],
        fps=config["render"]["fps"],
    conda:
        "../envs/nca-steps.yaml"
    log:
        "logs/render_gif/{target}/{combination}/{animation}.log",
    benchmark:
        "results/benchmarks/render_gif/{target}/{combination}/{animation}.tsv"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "python -m nca_steps.steps.render_gif --frames {input} --gif-out {output} "
        "--zoom {params.zoom} --fps {params.fps} > {log} 2>&1"


rule plot_curve:
    input:
        "results/runs/{target}/{combination}/metrics.csv",
    output:
        "results/runs/{target}/{combination}/training_curve.png",
    conda:
        "../envs/nca-steps.yaml"
    log:
        "logs/plot_curve/{target}/{combination}.log",
    benchmark:
        "results/benchmarks/plot_curve/{target}/{combination}.tsv"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "python -m nca_steps.steps.plot_curve --metrics {input} --title '{wildcards.target} / "
        "{wildcards.combination}' --png-out {output} > {log} 2>&1"


rule plot_evaluation:
    input:
        "results/runs/{target}/{combination}/evaluation.json",
    output:
        "results/runs/{target}/{combination}/evaluation.png",
    conda:
        "../envs/nca-steps.yaml"
    log:
        "logs/plot_evaluation/{target}/{combination}.log",
    benchmark:
        "results/benchmarks/plot_evaluation/{target}/{combination}.tsv"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "python -m nca_steps.steps.plot_evaluation --evaluation {input} --title "
        "'{wildcards.target} / {wildcards.combination}' --png-out {output} > {log} 2>&1"


rule summarize:
    input:
        metrics=[f"{run_dir(t, c)}/metrics.csv" for t, c in runs()],
        evaluations=[f"{run_dir(t, c)}/evaluation.json" for t, c in runs()],
    output:
        "results/summary.csv",
    params:
        runs=" ".join(
            f"--run {t} {c} {run_dir(t, c)}/metrics.csv {run_dir(t, c)}/evaluation.json"
            for t, c in runs()
        ),
    conda:
        "../envs/nca-steps.yaml"
    log:
        "logs/summarize.log",
    benchmark:
        "results/benchmarks/summarize.tsv"
    threads: 1
    resources:
        mem_mb=300,
        runtime=5,
    shell:
        "python -m nca_steps.steps.summarize {params.runs} --csv-out {output} > {log} 2>&1"


rule plot_overview:
    input:
        previews=[f"results/targets/{t}/preview.png" for t in targets()],
        grown=[f"{run_dir(t, c)}/grown.png" for t, c in runs()],
    output:
        "results/overview.png",
    params:
        targets=targets(),
        combinations=combinations(),
    conda:
        "../envs/nca-steps.yaml"
    log:
        "logs/plot_overview.log",
    benchmark:
        "results/benchmarks/plot_overview.tsv"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        "python -m nca_steps.steps.plot_overview --targets {params.targets} "
        "--combinations {params.combinations} --previews {input.previews} "
        "--grown {input.grown} --png-out {output} > {log} 2>&1"
