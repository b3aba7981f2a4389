# Fixtures for integration and end-to-end tests (real RabbitMQ and PostgreSQL).
import consignations_shared.boot  # noqa: F401,E402  (as in a service process: green sockets and PostgreSQL)
pytest_plugins = ["consignations_shared.testing"]
