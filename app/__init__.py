"""rectrack: track UN human rights recommendations and their implementation."""
