# Training: one PGPE job per (target, combination); resumes from its checkpoint if killed.


rule train:
    input:
        target="results/targets/{target}/target.npy",
    output:
        params="results/runs/{target}/{combination}/seed{seed}/params.npy",
        metrics="results/runs/{target}/{combination}/seed{seed}/metrics.csv",
    params:
        hyperparameters=hyperparameter_args,
        checkpoint="results/checkpoints/{target}/{combination}/seed{seed}.npz",
        checkpoint_every=config["training"]["checkpoint_every"],
        log_every=config["training"]["log_every"],
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
    # exec: no shell stays between Snakemake and the step. On a SLURM time limit or scancel every
    # process of the job gets SIGTERM; a shell in between would die at once, the job step would
    # end and SLURM would kill the training before it wrote its checkpoint.
    shell:
        "XLA_PYTHON_CLIENT_PREALLOCATE=false "
        "exec python -m nca_steps.steps.train --target {input.target} --params-out {output.params} "
        "--metrics-out {output.metrics} --checkpoint {params.checkpoint} "
        "--checkpoint-every {params.checkpoint_every} --log-every {params.log_every} "
        "--threads {threads} {params.hyperparameters} > {log} 2>&1"
