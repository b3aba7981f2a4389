"""member revisions: the global change sequence of memberships (accounts.member_changed)

Revision ID: 4e2b9a7c1d35
Revises: ccefc56b41da
Create Date: 2026-12-07 02:45:00
"""
from alembic import op
import sqlalchemy as sa


revision = '4e2b9a7c1d35'
down_revision = 'ccefc56b41da'
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    with op.batch_alter_table('account_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', BIG, nullable=False, server_default='0'))
        batch_op.create_index(batch_op.f('ix_account_members_revision'), ['revision'], unique=False)
    sequence = op.create_table(
        'member_change_sequence',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('value', BIG, nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    # The members that exist already get their first revisions, so a snapshot finds them.
    bind = op.get_bind()
    people = [row[0] for row in bind.execute(sa.text(
        "SELECT person_id FROM account_members ORDER BY created_at, person_id"))]
    for number, person_id in enumerate(people, start=1):
        bind.execute(sa.text("UPDATE account_members SET revision = :n WHERE person_id = :p"),
                     {"n": number, "p": person_id})
    op.bulk_insert(sequence, [{"id": 1, "value": len(people)}])


def downgrade():
    op.drop_table('member_change_sequence')
    with op.batch_alter_table('account_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_members_revision'))
        batch_op.drop_column('revision')
