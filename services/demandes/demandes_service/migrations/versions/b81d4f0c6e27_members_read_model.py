"""members: read model of accounts.member_changed

Revision ID: b81d4f0c6e27
Revises: 2f1340274a4b
Create Date: 2026-12-07 02:55:00
"""
from alembic import op
import sqlalchemy as sa

from consignations_shared.read_models import create_read_model_tables


revision = 'b81d4f0c6e27'
down_revision = '2f1340274a4b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'members',
        sa.Column('person_id', sa.String(length=36), nullable=False),
        sa.Column('revision', sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column('account_id', sa.String(length=36), nullable=False),
        sa.Column('account_kind', sa.String(length=20), nullable=False),
        sa.Column('account_status', sa.String(length=20), nullable=False),
        sa.Column('company_name', sa.String(length=120), nullable=True),
        sa.Column('profile', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('can_submit', sa.Boolean(), nullable=False),
        sa.Column('first_name', sa.String(length=100), nullable=True),
        sa.Column('last_name', sa.String(length=100), nullable=True),
        sa.Column('display_name', sa.String(length=210), nullable=True),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.PrimaryKeyConstraint('person_id'),
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_account_id'), ['account_id'], unique=False)
    create_read_model_tables()


def downgrade():
    op.drop_table('read_model_builds')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_account_id'))
    op.drop_table('members')
