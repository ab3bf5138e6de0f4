"""The model registry: the provider protocol, entry-point discovery, the TOML config."""
