#!/bin/sh
# Run by the postgres image once, when its data volume is new (docker-entrypoint-initdb.d).
# rectrack connects as a role of its own that is not a superuser: it owns its database, and so
# may create the trusted extension pg_trgm that the first migration needs, and nothing beyond.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    --set=password="$RECTRACK_DB_PASSWORD" <<'SQL'
CREATE ROLE rectrack LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
    PASSWORD :'password';
CREATE DATABASE rectrack OWNER rectrack;
REVOKE ALL ON DATABASE rectrack FROM PUBLIC;
SQL
