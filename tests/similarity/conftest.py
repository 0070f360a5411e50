# The import fixtures, for the test that imports keep the index current.
from tests.imports.conftest import import_dir, run_imports, upload

__all__ = ["import_dir", "run_imports", "upload"]
