"""initial tables

Revision ID: 0c5db9dd093e
Revises: 
Create Date: 2026-11-23 06:07:22.474926
"""
from alembic import op
import sqlalchemy as sa

from consignations_shared.plumbing import create_plumbing_tables, drop_plumbing_tables


revision = '0c5db9dd093e'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_plumbing_tables()


def downgrade():
    drop_plumbing_tables()
