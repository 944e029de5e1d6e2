#!/usr/bin/env bash
# Creates benchmarks/.venv-flower with Flower 1.42 and its simulation
# engine (Ray), plus JAX for the clients' local training. Never a
# dependency of federax.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venv="$here/.venv-flower"
python="${PYTHON:-python3.11}"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet 'flwr[simulation]==1.42.*' 'jax[cpu]' psutil
"$venv/bin/python" -c 'import flwr, jax; print("flwr", flwr.__version__)'
