#!/usr/bin/env bash
# Creates benchmarks/.venv-tff with TensorFlow Federated 0.87 (Python 3.11).
#
# TFF 0.87 pins jax/jaxlib 0.4.14, and jaxlib 0.4.14 is no longer on the
# registry: install TFF itself without dependencies, then its listed
# requirements with jaxlib 0.4.13 (TFF's JAX backend is not used here).
# TFF needs Python < 3.12. Never a dependency of federax.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venv="$here/.venv-tff"
python="${PYTHON:-python3.11}"
"$python" -m venv "$venv"
pip="$venv/bin/pip"
"$pip" install --quiet --upgrade 'pip<25' wheel
"$pip" install --quiet --no-deps tensorflow-federated==0.87.0
# Requires-Dist of tensorflow-federated 0.87.0, with jaxlib 0.4.14 -> 0.4.13.
"$pip" install --quiet \
  'absl-py==1.*,>=1.0' 'attrs~=23.1' 'cachetools~=5.3' 'dm-tree==0.1.8' \
  'dp-accounting==0.4.3' 'google-vizier==0.1.11' 'grpcio~=1.46' \
  'jax==0.4.14' 'jaxlib==0.4.13' 'ml-dtypes==0.2.*,>=0.2.0' 'numpy~=1.25' \
  'portpicker~=1.6' 'scipy~=1.9.3' 'tensorflow-model-optimization==0.7.5' \
  'tensorflow-privacy==0.9.0' 'tensorflow==2.14.*,>=2.14.0' 'tqdm~=4.64' \
  'typing-extensions==4.5.*,>=4.5.0' 'googleapis-common-protos==1.61.0' \
  psutil
"$venv/bin/python" -c \
  'import tensorflow_federated as tff; print("tff", tff.__version__)'
