"""Protobuf schemas: serialized computations (`computation.proto`) and the
`tf.train.Example` wire format of TFF's datasets (`example.proto`).

`computation_pb2` and `example_pb2` are generated from them by
`scripts/generate_protos.sh` and checked in; see `docs/serialization.md`
and `docs/simulation.md`.
"""
