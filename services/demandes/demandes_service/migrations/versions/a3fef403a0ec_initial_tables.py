"""initial tables

Revision ID: a3fef403a0ec
Revises: 
Create Date: 2026-11-23 06:07:21.477754
"""
from alembic import op
import sqlalchemy as sa

from consignations_shared.plumbing import create_plumbing_tables, drop_plumbing_tables


revision = 'a3fef403a0ec'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_plumbing_tables()


def downgrade():
    drop_plumbing_tables()
