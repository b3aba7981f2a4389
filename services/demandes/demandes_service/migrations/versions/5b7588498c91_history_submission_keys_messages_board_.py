"""history, submission keys, messages, board columns

Revision ID: 5b7588498c91
Revises: 232d36e7608d
Create Date: 2026-11-23 08:51:42.972157
"""
from alembic import op
import sqlalchemy as sa


revision = '5b7588498c91'
down_revision = '232d36e7608d'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('messages',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('author_role', sa.String(length=20), nullable=False),
    sa.Column('author_person_id', sa.String(length=36), nullable=True),
    sa.Column('author_name', sa.String(length=210), nullable=True),
    sa.Column('subject_code', sa.String(length=40), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('in_reply_to', sa.String(length=36), nullable=True),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_request_id'), ['request_id'], unique=False)

    op.create_table('request_transitions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('from_state', sa.String(length=30), nullable=False),
    sa.Column('to_state', sa.String(length=30), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_person_id', sa.String(length=36), nullable=True),
    sa.Column('by_role', sa.String(length=20), nullable=False),
    sa.Column('by_name', sa.String(length=210), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('request_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_transitions_request_id'), ['request_id'], unique=False)

    op.create_table('submission_keys',
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('request_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], ),
    sa.PrimaryKeyConstraint('person_id', 'key')
    )
    op.create_table('message_reads',
    sa.Column('message_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=36), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ),
    sa.PrimaryKeyConstraint('message_id', 'person_id')
    )
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column('duplicated_from_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('proof_document_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deleted_by', sa.String(length=36), nullable=True))
        batch_op.create_index('ix_requests_account_state', ['account_id', 'state'], unique=False)




def downgrade():
    
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_index('ix_requests_account_state')
        batch_op.drop_column('deleted_by')
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('proof_document_id')
        batch_op.drop_column('duplicated_from_id')
        batch_op.drop_column('amount')
        batch_op.drop_column('state_changed_at')

    op.drop_table('message_reads')
    op.drop_table('submission_keys')
    with op.batch_alter_table('request_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_transitions_request_id'))

    op.drop_table('request_transitions')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_request_id'))

    op.drop_table('messages')

