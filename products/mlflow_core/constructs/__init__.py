"""Reusable constructs of the MLflow core product (composed by stack.py)."""
