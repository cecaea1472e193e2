"""The AlephCore gRPC service (proto/aleph.proto)."""
