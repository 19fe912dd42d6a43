"""Text normalisers that keep a map back to the original character offsets."""
