#!/usr/bin/env bash
# The GPU figures of docs/cluster-and-gpu.md, on a machine with an NVIDIA GPU, in a few minutes:
#   pip install -e ".[dev,gpu]"
#   python benchmarks/record.py bash benchmarks/gpu_check.sh   (to keep its output in RESULTS.md)
# 1. the tests that touch devices (model, fitness and its sharding, solver, training, resume,
#    evaluation), on the GPU, at the precision the tests state (highest: tests/conftest.py) and
#    at JAX's default, which training uses (TF32 products on a recent NVIDIA GPU); -rf names
#    every failure;
# 2. benchmarks/fitness_speed.py at the notebook's settings: nca-steps and the notebook's own
#    formulation, generation by generation in one process, at the default precision; then
#    nca-steps alone at highest;
# 3. 200 generations (--generations N) of workflow/configs/notebook.yaml through Snakemake:
#    seconds per generation after the compile, and the GPU memory in use at its peak (nvidia-smi,
#    sampled every second; the training job does not preallocate).
# 4. the batch: workflow/configs/batch.yaml's training jobs (its shipped emojis only, the first
#    --batch-targets of them, x its 2 combinations, 300 generations) through Snakemake with
#    training.gpus: 1 and --resources gpu=K, so K training jobs share the GPU at a time (no job
#    preallocates its memory), for each K of --batch-jobs "1 4": runs per hour. Each job also
#    starts JAX and compiles, which the GPU waits through at K=1.
# Without a GPU it stops at once, unless --on-cpu (to try the script itself on a CPU). Its files
# go to a new temporary folder, or --dir DIR. --test-precisions "highest" (or "", or "default")
# runs the tests at fewer precisions, where a lease is short: on the H200 of 2026-11-26 one
# pass of the device tests ran past 8 minutes (compiles on a GPU are slow). On the 2-core Zen 4
# (--on-cpu --generations 5, 2026-12-01) the whole script took 9 min 41 s: tests 2 x 2 min.
# Fit it to a lease with --test-precisions, --generations, --batch-targets and --batch-jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
generations=200
on_cpu=0
test_precisions="highest default"
batch_targets=2
batch_jobs="1 4"
work=
while [[ $# -gt 0 ]]; do
    case "$1" in
        --generations) generations=$2 && shift 2 ;;
        --dir) work=$2 && shift 2 ;;
        --on-cpu) on_cpu=1 && shift ;;
        --test-precisions) test_precisions=$2 && shift 2 ;;
        --batch-targets) batch_targets=$2 && shift 2 ;;
        --batch-jobs) batch_jobs=$2 && shift 2 ;;
        *)
            echo "error: unknown argument '$1'; valid: --generations N, --dir DIR, --on-cpu," \
                "--test-precisions 'highest default', --batch-targets N (1 to 8)," \
                "--batch-jobs '1 4'" >&2
            exit 2
            ;;
    esac
done
work=$(realpath -m "${work:-$(mktemp -d -t nca-steps-gpu-check.XXXXXX)}")
mkdir -p "$work"

backend=$(python -c "import jax; print(jax.default_backend())")
if [[ $backend != gpu && $on_cpu != 1 ]]; then
    echo "error: JAX sees no GPU (backend: $backend); install the CUDA build with" \
        "pip install -e \".[gpu]\" on a machine with an NVIDIA GPU" >&2
    exit 1
fi
echo "== devices: $(python -c "import jax; print(', '.join(d.device_kind for d in jax.devices()))")"
if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
fi

device_tests=(tests/test_model.py tests/test_fitness.py tests/test_solver.py tests/test_runtime.py
    tests/steps/test_train.py tests/test_checkpoint.py tests/steps/test_evaluate.py)
failed=0
for precision in $test_precisions; do
    echo "== 1. tests that touch devices, matmul precision $precision"
    start=$SECONDS
    NCA_STEPS_TEST_MATMUL_PRECISION=$precision python -m pytest -q -rf -p no:randomly \
        "${device_tests[@]}" || failed=1
    echo "tests at $precision: $((SECONDS - start)) s"
done

echo "== 2. fitness speed at the notebook's settings"
start=$SECONDS
python benchmarks/fitness_speed.py --repeats 5
JAX_DEFAULT_MATMUL_PRECISION=highest python benchmarks/fitness_speed.py --repeats 5 \
    --skip-reference | sed 's/^/[highest] /'
echo "fitness_speed: $((SECONDS - start)) s"

echo "== 3. $generations generations of workflow/configs/notebook.yaml through Snakemake"
python - "$work/config.yaml" "$generations" <<'EOF'
import sys

import yaml

config = yaml.safe_load(open("workflow/configs/notebook.yaml"))
config["hyperparameters"]["generations"] = int(sys.argv[2])
yaml.safe_dump(config, open(sys.argv[1], "w"), allow_unicode=True)
EOF
peak_file=$work/gpu_memory_peak_mib
sampler=
if command -v nvidia-smi >/dev/null; then
    echo 0 >"$peak_file"
    (
        peak=0
        while sleep 1; do
            used=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits |
                sort -n | tail -1)
            if ((used > peak)); then peak=$used && echo "$peak" >"$peak_file"; fi
        done
    ) &
    sampler=$!
    trap 'kill "$sampler" 2>/dev/null' EXIT
fi
start=$SECONDS
if ! snakemake -s "$PWD/Snakefile" --cores all --resources gpu=1 --directory "$work" \
    --configfile "$work/config.yaml" --replace-workflow-config >"$work/snakemake.log" 2>&1; then
    tail -40 "$work/snakemake.log"
    exit 1
fi
echo "snakemake: $((SECONDS - start)) s"

run=$work/results/runs/lizard/notebook/seed1
python - "$run/metrics.csv" "$work/results/benchmarks/train/lizard/notebook/seed1.tsv" <<'EOF'
import csv
import sys

rows = list(csv.DictReader(open(sys.argv[1])))
seconds = [float(r["seconds"]) for r in rows]
per_generation = (seconds[-1] - seconds[0]) / (len(seconds) - 1)
job = next(csv.DictReader(open(sys.argv[2]), delimiter="\t"))
print(f"train job: {float(job['s']):.1f} s for {len(rows)} generations; first generation "
      f"(compile included) ended at {seconds[0]:.1f} s; then {per_generation:.4f} s per generation")
print(f"center loss: {rows[0]['center_loss']} at generation 0, {rows[-1]['center_loss']} at "
      f"generation {rows[-1]['generation']}")
EOF
if [[ -n $sampler ]]; then
    echo "GPU memory in use at peak (nvidia-smi, all processes): $(cat "$peak_file") MiB"
fi
echo "== 4. the batch: $batch_targets shipped emojis x 2 combinations, K training jobs per GPU"
runs=$(python - "$work/batch.yaml" "$batch_targets" <<'EOF'
import sys

import yaml

from nca_steps.emoji import split_emojis

config = yaml.safe_load(open("workflow/configs/batch.yaml"))
shipped = split_emojis(config["targets"].split()[0])  # the 8 shipped PNGs: no font needed
count = int(sys.argv[2])
if not 1 <= count <= len(shipped):
    sys.exit(f"error: --batch-targets {count} is invalid; use 1 to {len(shipped)}")
config["targets"] = shipped[:count]
config["emoji"] = {"sources": ["shipped"]}
config["training"] = {"gpus": 1}  # each training job holds 1 of --resources gpu=K
yaml.safe_dump(config, open(sys.argv[1], "w"), allow_unicode=True)
print(count * len(config["combinations"]))
EOF
)
for jobs in $batch_jobs; do
    folder=$work/batch-$jobs
    start=$SECONDS
    if ! snakemake -s "$PWD/Snakefile" --cores all --resources gpu="$jobs" --until train \
        --directory "$folder" --configfile "$work/batch.yaml" --replace-workflow-config \
        >"$folder.log" 2>&1; then
        tail -40 "$folder.log"
        exit 1
    fi
    seconds=$((SECONDS - start))
    echo "batch, $jobs training jobs per GPU: $runs runs in $seconds s," \
        "$((runs * 3600 / (seconds > 0 ? seconds : 1))) runs per hour"
done

echo "outputs: $work"
if ((failed)); then
    echo "error: device tests failed (named above by -rf)" >&2
    exit 1
fi
