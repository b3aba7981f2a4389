"""memberships: read model of accounts.member_changed

Revision ID: 7a3c5e91b2d4
Revises: 00badefe2b43
Create Date: 2026-12-07 02:50:00
"""
from alembic import op
import sqlalchemy as sa

from consignations_shared.read_models import create_read_model_tables


revision = '7a3c5e91b2d4'
down_revision = '00badefe2b43'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'memberships',
        sa.Column('person_id', sa.String(length=36), nullable=False),
        sa.Column('revision', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column('account_id', sa.String(length=36), nullable=False),
        sa.Column('account_kind', sa.String(length=20), nullable=False),
        sa.Column('account_status', sa.String(length=20), nullable=False),
        sa.Column('profile', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('can_submit', sa.Boolean(), nullable=False),
        sa.Column('first_name', sa.String(length=100), nullable=True),
        sa.Column('last_name', sa.String(length=100), nullable=True),
        sa.Column('company_name', sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint('person_id'),
    )
    create_read_model_tables()


def downgrade():
    op.drop_table('read_model_builds')
    op.drop_table('memberships')
