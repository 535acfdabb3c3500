"""ilum-init: the init container command that prepares the workspace."""
