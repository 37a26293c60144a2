"""MLflow notebook: a SageMaker notebook instance wired to a tracking server."""
