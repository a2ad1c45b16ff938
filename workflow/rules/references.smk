# The Distill article's own models (config key references): fetched into the resources/ cache,
# then imported into run folders that evaluation and rendering treat like trained runs.


rule fetch_reference:
    output:
        model="resources/references/{experiment}/{code}.json",
        source="resources/references/{experiment}/{code}.source.json",
    params:
        emoji=lambda wc: u_notation(EMOJI_BY_CODE[wc.code]),
        models_url=config["reference_models_url"],
    conda:
        "../envs/nca-steps.yaml"
    log:
        "logs/fetch_reference/{experiment}/{code}.log",
    threads: 1
    resources:
        mem_mb=300,
        runtime=5,
    shell:
        step(
            "fetch_reference",
            "--experiment {wildcards.experiment} --emoji {params.emoji:q} "
            "--models-url {params.models_url:q} --json-out {output.model} "
            "--source-out {output.source} --timeout $NCA_STEPS_DOWNLOAD_TIMEOUT "
            "--retries $NCA_STEPS_DOWNLOAD_RETRIES > {log} 2>&1"
        )


rule import_reference:
    input:
        model=lambda wc: reference_model(wc, "json"),
        source=lambda wc: reference_model(wc, "source.json"),
    output:
        params="results/runs/article-{name}/{experiment}/seed0/params.npy",
        metrics="results/runs/article-{name}/{experiment}/seed0/metrics.csv",
        info="results/runs/article-{name}/{experiment}/seed0/reference.json",
    conda:
        "../envs/nca-steps.yaml"
    log:
        "logs/import_reference/{name}/{experiment}.log",
    threads: 1
    resources:
        mem_mb=300,
        runtime=5,
    shell:
        step(
            "import_reference",
            "--model {input.model} --source {input.source} --params-out {output.params} "
            "--metrics-out {output.metrics} --info-out {output.info} > {log} 2>&1"
        )
