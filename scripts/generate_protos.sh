#!/usr/bin/env bash
# Regenerates src/federax/proto/computation_pb2.py from computation.proto.
#
# grpcio-tools is a development tool only (never a runtime dependency); it
# is installed into a throwaway virtual environment. The version pins the
# protoc that generates the code: grpcio-tools 1.75.1 bundles protoc 31.1,
# whose generated code needs the protobuf runtime >= 6.31.1 (the lower bound
# in pyproject.toml; change both together).
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS="${TMPDIR:-/tmp}/federax-protoc-venv"
if [ ! -x "$TOOLS/bin/python" ]; then
  python3 -m venv "$TOOLS"
  "$TOOLS/bin/pip" install -q 'grpcio-tools==1.75.1'
fi
"$TOOLS/bin/python" -m grpc_tools.protoc -Isrc --python_out=src \
  src/federax/proto/computation.proto
echo "wrote src/federax/proto/computation_pb2.py"
