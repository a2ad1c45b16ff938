# Evaluation: long, damaged and turned rollouts of the trained center from several random keys.


rule evaluate:
    input:
        params="results/runs/{target}/{combination}/seed{seed}/params.npy",
        target="results/targets/{target}/target.npy",
    output:
        metrics="results/runs/{target}/{combination}/seed{seed}/evaluation.json",
        frames="results/runs/{target}/{combination}/seed{seed}/growth_frames.npz",
        damage_frames="results/runs/{target}/{combination}/seed{seed}/damage_frames.npz",
        grown=run_report(
            "results/runs/{target}/{combination}/seed{seed}/grown.png", "grown", "grown picture"
        ),
        at_horizon="results/runs/{target}/{combination}/seed{seed}/at_horizon.png",
    params:
        run=run_caption,
        steps=setting("steps"),
        loss_every=setting("loss_every"),
        fire_rate=setting("fire_rate"),
        channels=setting("channels"),
        hidden=setting("hidden"),
        horizon=config["evaluation"]["horizon"],
        rollouts=config["evaluation"]["rollouts"],
        seed=config["evaluation"]["seed"],
    conda:
        "../envs/nca-steps.yaml"
    log:
        "logs/evaluate/{target}/{combination}/seed{seed}.log",
    benchmark:
        "results/benchmarks/evaluate/{target}/{combination}/seed{seed}.tsv"
    threads: 1
    resources:
        mem_mb=evaluation_mem_mb,
        runtime=15,
    shell:
        step(
            "evaluate",
            "--params {input.params} --target {input.target} "
            "--steps {params.steps} --loss-every {params.loss_every} --fire-rate {params.fire_rate} "
            "--channels {params.channels} --hidden {params.hidden} --horizon {params.horizon} --rollouts {params.rollouts} "
            "--seed {params.seed} --threads {threads} --metrics-out {output.metrics} "
            "--frames-out {output.frames} --damage-frames-out {output.damage_frames} "
            "--grown-out {output.grown} --at-horizon-out {output.at_horizon} > {log} 2>&1"
        )
