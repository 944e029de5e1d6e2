#!/usr/bin/env bash
# Regenerates src/federax/proto/*_pb2.py from the .proto files beside them
# (computation.proto: serialized computations; example.proto: the
# tf.train.Example wire format of TFF's datasets).
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
for proto in computation example; do
  "$TOOLS/bin/python" -m grpc_tools.protoc -Isrc --python_out=src \
    "src/federax/proto/$proto.proto"
  echo "wrote src/federax/proto/${proto}_pb2.py"
done
