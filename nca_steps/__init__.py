"""nca-steps: grow pictures with neural cellular automata trained by evolution strategies."""

__version__ = "0.1.0"
