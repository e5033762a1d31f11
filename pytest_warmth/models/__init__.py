"""Model specs (pure), loading (transformers + PEFT, lazy) and tiny test models."""
