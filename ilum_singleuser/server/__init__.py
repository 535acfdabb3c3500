"""The Jupyter server extension: the REST API over the repository and the Spark sessions."""
