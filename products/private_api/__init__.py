"""MLflow private API: an HTTPS tracking URI for clients outside the VPC."""
