"""The portfolio stack: what `cdk deploy` creates, and the governance of its products."""
