from consignations_shared.migrations import run_migrations_env

from notifier_service.models import Base

run_migrations_env(Base.metadata)
