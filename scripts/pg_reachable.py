"""Exit 0 when the PostgreSQL server for the second test run answers (used by `make test`)."""

import sys

import psycopg

url = sys.argv[1]
try:
    psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3).close()
except Exception as exc:  # noqa: BLE001 - any failure means: not reachable
    print(f"PostgreSQL at {url} not reachable ({type(exc).__name__}); its test run is skipped", file=sys.stderr)
    sys.exit(1)
