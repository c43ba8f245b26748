-- One database per service (run by psql: the postgres image's
-- /docker-entrypoint-initdb.d, or `psql -h 127.0.0.1 -U postgres -f` this
-- file). Idempotent: creates only the databases that are missing.
SELECT 'CREATE DATABASE ejia_orgs'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'ejia_orgs')\gexec
SELECT 'CREATE DATABASE ejia_members'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'ejia_members')\gexec
SELECT 'CREATE DATABASE ejia_dues'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'ejia_dues')\gexec
SELECT 'CREATE DATABASE ejia_events'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'ejia_events')\gexec
SELECT 'CREATE DATABASE ejia_identity'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'ejia_identity')\gexec
