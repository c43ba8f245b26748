#!/bin/sh
# The postgres container's init step after create-databases.sql: one login
# role per service (password from EJIA_<SERVICE>_DB_PASSWORD), owner of its
# own database, with no rights on the others.
set -eu
for service in identity orgs members dues; do
    var="EJIA_$(echo "$service" | tr a-z A-Z)_DB_PASSWORD"
    password=$(eval "printf %s \"\$$var\"")
    psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" -v role="ejia_$service" -v password="$password" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')\gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'role', :'role')\gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'role')\gexec
SQL
done
