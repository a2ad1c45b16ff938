# Training: one job per (target, combination, seed), after the run its combination continues
# (start_from), if any; resumes from its checkpoint if killed.


rule train:
    input:
        target="results/targets/{target}/target.npy",
        start=start_state,  # the final state of the run its start_from names, if any
    output:
        params="results/runs/{target}/{combination}/seed{seed}/params.npy",
        metrics="results/runs/{target}/{combination}/seed{seed}/metrics.csv",
        state="results/runs/{target}/{combination}/seed{seed}/state.npz",
    wildcard_constraints:
        target=TRAINED_NAME,  # the article's models are imported (references.smk)
    params:
        hyperparameters=hyperparameter_args,
        checkpoint="results/checkpoints/{target}/{combination}/seed{seed}.npz",
        start=start_args,
    conda:
        "../envs/nca-steps.yaml"
    log:
        "logs/train/{target}/{combination}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train/{target}/{combination}/seed{seed}.tsv"
    threads: config["training"]["threads"]
    resources:
        mem_mb=config["training"]["mem_mb"],
        runtime=train_runtime,
        gpu=config["training"]["gpus"],
    retries: config["training"]["retries"]
    shell:
        step(
            "train",
            "--target {input.target} --params-out {output.params} "
            "--metrics-out {output.metrics} --state-out {output.state} "
            "--checkpoint {params.checkpoint} "
            "--checkpoint-every $NCA_STEPS_CHECKPOINT_EVERY --log-every $NCA_STEPS_LOG_EVERY "
            "--threads {threads} {params.start} {params.hyperparameters} > {log} 2>&1"
        )
