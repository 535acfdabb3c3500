"""What the init and the server share: settings, errors, redaction, credentials, the git runner."""
