"""The protobuf schema of serialized computations (`computation.proto`).

`computation_pb2` is generated from it by `scripts/generate_protos.sh` and
checked in; see `docs/serialization.md`.
"""
