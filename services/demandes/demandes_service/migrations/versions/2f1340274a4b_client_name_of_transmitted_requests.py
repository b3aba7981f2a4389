"""client name of transmitted requests

Revision ID: 2f1340274a4b
Revises: 5b7588498c91
Create Date: 2026-11-23 08:58:55.896448
"""
from alembic import op
import sqlalchemy as sa


revision = '2f1340274a4b'
down_revision = '5b7588498c91'
branch_labels = None
depends_on = None


def upgrade():

    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_name', sa.String(length=210), nullable=True))
        batch_op.create_index(batch_op.f('ix_requests_client_name'), ['client_name'], unique=False)




def downgrade():

    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_requests_client_name'))
        batch_op.drop_column('client_name')


