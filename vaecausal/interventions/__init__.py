"""The intervention engine: cached codes and the manipulations applied to trained models."""
