-- One database per data service (each owns its schema and runs its own Alembic migrations).
-- Run once by the postgres image, on an empty data volume (/docker-entrypoint-initdb.d).
CREATE DATABASE identity;
CREATE DATABASE accounts;
CREATE DATABASE demandes;
CREATE DATABASE documents;
CREATE DATABASE notifier;
