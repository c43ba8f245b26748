"""The published language of each service's API: marshmallow schemas of its
commands (requests) and of its responses. The gateway validates HTTP bodies
and builds OpenAPI from them; a service validates its RPC input with the same
schemas. No service imports another service: they share only these."""
