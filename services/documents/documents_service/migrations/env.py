from consignations_shared.migrations import run_migrations_env

from documents_service.models import Base

run_migrations_env(Base.metadata)
