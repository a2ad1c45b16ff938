# Targets: emoji PNGs into the resources/ cache, then every target into a padded array.


rule fetch_emoji:
    output:
        png="resources/emoji/{code}.png",
        source="resources/emoji/{code}.json",
    params:
        emoji=lambda wc: u_notation(EMOJI_BY_CODE[wc.code]),
        sources=config["emoji"]["sources"],
        base_url=config["emoji"]["base_url"],
        flags_url=config["emoji"]["flags_url"],
    conda:
        "../envs/nca-steps.yaml"
    log:
        "logs/fetch_emoji/{code}.log",
    benchmark:
        "results/benchmarks/fetch_emoji/{code}.tsv"
    threads: 1
    resources:
        mem_mb=300,
        runtime=5,
    shell:
        step(
            "fetch_emoji",
            "--emoji {params.emoji:q} "
            "--png-out {output.png} --source-out {output.source} --sources {params.sources} "
            "--base-url {params.base_url:q} --flags-url {params.flags_url:q} "
            "--timeout $NCA_STEPS_DOWNLOAD_TIMEOUT --retries $NCA_STEPS_DOWNLOAD_RETRIES "
            "> {log} 2>&1"
        )


rule prepare_target:
    input:
        target_image,
    output:
        target="results/targets/{target}/target.npy",
        preview="results/targets/{target}/preview.png",
        info="results/targets/{target}/target.json",
    params:
        size=lambda wc: target_geometry(wc.target)[0],
        padding=lambda wc: target_geometry(wc.target)[1],
    conda:
        "../envs/nca-steps.yaml"
    log:
        "logs/prepare_target/{target}.log",
    benchmark:
        "results/benchmarks/prepare_target/{target}.tsv"
    threads: 1
    resources:
        mem_mb=300,
        runtime=5,
    shell:
        step(
            "prepare_target",
            "--image {input:q} --size {params.size} "
            "--padding {params.padding} --target-out {output.target} "
            "--preview-out {output.preview} --info-out {output.info} > {log} 2>&1"
        )
