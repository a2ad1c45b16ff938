"""One module per workflow rule: each is the command line (``python -m nca_steps.steps.<rule>``)
that its rule runs, and leaves the work to the shared core in ``nca_steps``."""
