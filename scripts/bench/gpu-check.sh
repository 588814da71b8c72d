#!/usr/bin/env bash
# GPU check for the embedding stack, for a machine with an NVIDIA GPU (CUDA 12 + cuDNN 9) and internet access.
# Run from the repository root after `npm ci`:   bash scripts/bench/gpu-check.sh [models-dir]
# 1. installs onnxruntime-node's CUDA provider (package.json#allowScripts skips it so offline installs work),
# 2. checks that ORT_DEVICE=auto picks CUDA, 3. runs the embedding benchmark on CUDA and on CPU.
set -euo pipefail
MODELS_DIR_ARG="${1:-}"
nvidia-smi -L
BIN=node_modules/onnxruntime-node/bin/napi-v6/linux/x64
if [ ! -f "$BIN/libonnxruntime_providers_cuda.so" ]; then
  npm run gpu:install
fi
ls -la "$BIN"
npx tsx scripts/bench/device-check.ts
ARGS=(--texts 2048 --images 128 --batch-sizes 1,8,32,64,128)
if [ -n "$MODELS_DIR_ARG" ]; then ARGS+=(--models-dir "$MODELS_DIR_ARG"); fi
echo "== CUDA"; ORT_DEVICE=cuda npm run --silent bench:embed -- "${ARGS[@]}" --json bench-cuda.json
echo "== CPU (same machine)"; ORT_DEVICE=cpu npm run --silent bench:embed -- "${ARGS[@]}" --json bench-cpu.json
