"""documents.revision: grows with every change, for the owners' read models

Revision ID: 7b1e2c9d4f10
Revises: 903dfa914a26
Create Date: 2026-12-07 02:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '7b1e2c9d4f10'
down_revision = '903dfa914a26'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_column('revision')
