#!/bin/sh
# docker-compose.yml's one-shot `rabbitmq-users`: the platform's vhost and one
# user per service (password from EJIA_<SERVICE>_AMQP_PASSWORD), each with
# rights on that vhost only. Idempotent: a second run resets the passwords.
set -eu
ctl() { rabbitmqadmin --host rabbitmq --username ejia-admin --password "$RABBITMQ_ADMIN_PASSWORD" "$@"; }
ctl declare vhost name=ejia
for service in identity orgs members dues gateway; do
    var="EJIA_$(echo "$service" | tr a-z A-Z)_AMQP_PASSWORD"
    password=$(eval "printf %s \"\$$var\"")
    ctl declare user name="$service" password="$password" tags=
    ctl declare permission vhost=ejia user="$service" configure='.*' write='.*' read='.*'
done
