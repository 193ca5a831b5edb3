"""Gradient Hiker: gradient descent and backpropagation made visible."""

__version__ = "0.1.0"
