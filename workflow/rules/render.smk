# Rendering: per-run GIFs (growth, damage) and figures, then the summary table and overview.


rule render_gif:
    input:
        "results/runs/{target}/{combination}/seed{seed}/{animation}_frames.npz",
    output:
        gif="results/runs/{target}/{combination}/seed{seed}/{animation}.gif",
        # the same animation in a page, which the report shows (it does not show GIFs)
        html=run_report(
            "results/runs/{target}/{combination}/seed{seed}/{animation}.html",
            "animation",
            "{animation} animation",
        ),
    params:
        run=run_caption,  # for the report's caption
        title=lambda wildcards: f"{wildcards.animation}: {run_caption(wildcards)}",
        zoom=config["render"]["zoom"],
        fps=config["render"]["fps"],
    conda:
        "../envs/nca-steps.yaml"
    log:
        "logs/render_gif/{target}/{combination}/seed{seed}/{animation}.log",
    benchmark:
        "results/benchmarks/render_gif/{target}/{combination}/seed{seed}/{animation}.tsv"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        step(
            "render_gif",
            "--frames {input} --gif-out {output.gif} "
            "--html-out {output.html} --title {params.title:q} "
            "--zoom {params.zoom} --fps {params.fps} > {log} 2>&1"
        )


rule build_viewer:
    input:
        params="results/runs/{target}/{combination}/seed{seed}/params.npy",
        target="results/targets/{target}/target.npy",
        preview="results/targets/{target}/preview.png",
    output:
        run_report(
            "results/runs/{target}/{combination}/seed{seed}/viewer.html", "viewer", "live viewer"
        ),
    params:
        run=run_caption,  # for the report's caption
        title=run_title,
        channels=setting("channels"),
        hidden=setting("hidden"),
        fire_rate=setting("fire_rate"),
        steps=setting("steps"),
    conda:
        "../envs/nca-steps.yaml"
    log:
        "logs/build_viewer/{target}/{combination}/seed{seed}.log",
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        step(
            "build_viewer",
            "--params {input.params} --target {input.target} "
            "--preview {input.preview} "
            "--channels {params.channels} --hidden {params.hidden} --fire-rate {params.fire_rate} --steps {params.steps} "
            "--title {params.title:q} --html-out {output} > {log} 2>&1"
        )


rule index_viewers:
    input:
        viewers=[f"{run_dir(*run)}/viewer.html" for run in runs()],
        previews=[f"results/targets/{t}/preview.png" for t in all_targets()],
    output:
        "results/viewer.html",
    params:
        runs=" ".join(
            f"--run {' '.join(map(str, run))} {run_dir(*run)}/viewer.html "
            f"results/targets/{run[0]}/preview.png"
            for run in runs()
        ),
    conda:
        "../envs/nca-steps.yaml"
    log:
        "logs/index_viewers.log",
    threads: 1
    resources:
        mem_mb=300,
        runtime=5,
    shell:
        step(
            "index_viewers",
            "{params.runs} --html-out {output} > {log} 2>&1"
        )


rule plot_curve:
    input:
        "results/runs/{target}/{combination}/seed{seed}/metrics.csv",
    output:
        run_report(
            "results/runs/{target}/{combination}/seed{seed}/training_curve.png",
            "training_curve",
            "training curve",
        ),
    params:
        run=run_caption,  # for the report's caption
        title=run_title,
    conda:
        "../envs/nca-steps.yaml"
    log:
        "logs/plot_curve/{target}/{combination}/seed{seed}.log",
    benchmark:
        "results/benchmarks/plot_curve/{target}/{combination}/seed{seed}.tsv"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        step(
            "plot_curve",
            "--metrics {input} --title {params.title:q} --png-out {output} > {log} 2>&1"
        )


rule plot_evaluation:
    input:
        "results/runs/{target}/{combination}/seed{seed}/evaluation.json",
    output:
        run_report(
            "results/runs/{target}/{combination}/seed{seed}/evaluation.png",
            "evaluation",
            "evaluation",
        ),
    params:
        run=run_caption,  # for the report's caption
        title=run_title,
    conda:
        "../envs/nca-steps.yaml"
    log:
        "logs/plot_evaluation/{target}/{combination}/seed{seed}.log",
    benchmark:
        "results/benchmarks/plot_evaluation/{target}/{combination}/seed{seed}.tsv"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    shell:
        step(
            "plot_evaluation",
            "--evaluation {input} --title {params.title:q} --png-out {output} > {log} 2>&1"
        )


rule summarize:
    input:
        metrics=[f"{run_dir(*run)}/metrics.csv" for run in runs()],
        evaluations=[f"{run_dir(*run)}/evaluation.json" for run in runs()],
    output:
        runs=report("results/summary.csv", caption="../report/summary.rst", category="Summary"),
        by_combination="results/summary_by_combination.csv",
    params:
        runs=" ".join(
            f"--run {' '.join(map(str, run))} {run_dir(*run)}/metrics.csv "
            f"{run_dir(*run)}/evaluation.json"
            for run in runs()
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
        step(
            "summarize",
            "{params.runs} --csv-out {output.runs} "
            "--aggregated-out {output.by_combination} > {log} 2>&1"
        )


rule plot_overview:
    input:
        previews=[f"results/targets/{t}/preview.png" for t in all_targets()],
        grown=[
            f"{run_dir(*run)}/{picture}"
            for run in overview_runs()
            for picture in ("grown.png", "at_horizon.png")
        ],
    output:
        report("results/overview.png", caption="../report/overview.rst", category="Summary"),
    params:
        targets=" ".join(f"--target {t} results/targets/{t}/preview.png" for t in all_targets()),
        runs=" ".join(
            f"--run {target} {combination} {run_dir(target, combination, seed)}/grown.png "
            f"{run_dir(target, combination, seed)}/at_horizon.png"
            for target, combination, seed in overview_runs()
        ),
        horizon=config["evaluation"]["horizon"],
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
        step(
            "plot_overview",
            "{params.targets} {params.runs} --horizon {params.horizon} --png-out {output} "
            "> {log} 2>&1",
        )
