"""What the notebook image runs at start besides Jupyter (the SSH hook)."""
