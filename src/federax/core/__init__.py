"""The Federated Core: types, IR, intrinsics, tracing and computations."""
