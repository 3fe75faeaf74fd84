"""checkout-lab: compare checkout-free store designs on the same simulated shoppers."""

__version__ = "0.1.0"
