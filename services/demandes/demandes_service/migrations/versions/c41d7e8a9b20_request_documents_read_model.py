"""request_documents read model and summaries_asked

Revision ID: c41d7e8a9b20
Revises: b81d4f0c6e27
Create Date: 2026-12-07 02:50:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'c41d7e8a9b20'
down_revision = 'b81d4f0c6e27'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('request_documents',
    sa.Column('document_id', sa.String(length=36), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('source_version', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.String(length=40), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('document_id')
    )
    with op.batch_alter_table('request_documents', schema=None) as batch_op:
        batch_op.create_index('ix_request_documents_request', ['request_id', 'status'], unique=False)
    op.create_table('summaries_asked',
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('request_id')
    )


def downgrade():
    op.drop_table('summaries_asked')
    with op.batch_alter_table('request_documents', schema=None) as batch_op:
        batch_op.drop_index('ix_request_documents_request')
    op.drop_table('request_documents')
