"""baseline: every table of jinnang 0.1

Revision ID: 0001
Revises: (none)
Tables that exist already (a data dir made before migrations) are kept and given missing columns.
Created: 2026-12-06 10:10:35.671575
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    tables: list[sa.Table] = []
    tables.append(op.create_table('alerts_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('channel', sa.String(), nullable=False),
    sa.Column('channel_kind', sa.String(), nullable=False),
    sa.Column('recipient', sa.String(), nullable=False),
    sa.Column('address', sa.String(), nullable=True),
    sa.Column('account_id', sa.String(), nullable=True),
    sa.Column('title', sa.String(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('link', sa.String(), nullable=True),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key'),
    if_not_exists=True))
    tables.append(op.create_table('api_keys',
    sa.Column('key_id', sa.String(), nullable=False),
    sa.Column('key_digest', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('role', sa.String(), nullable=False),
    sa.Column('subject', sa.String(), nullable=False),
    sa.Column('team', sa.String(), nullable=False),
    sa.Column('created_by', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('key_id'),
    sa.UniqueConstraint('key_digest'),
    if_not_exists=True))
    tables.append(op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(), nullable=False),
    sa.Column('role', sa.String(), nullable=False),
    sa.Column('action', sa.String(), nullable=False),
    sa.Column('document_id', sa.String(), nullable=False),
    sa.Column('outcome', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    if_not_exists=True))
    tables.append(op.create_table('documents',
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('sha256', sa.String(), nullable=False),
    sa.Column('filename', sa.String(), nullable=False),
    sa.Column('media_type', sa.String(), nullable=False),
    sa.Column('source_kind', sa.String(), nullable=False),
    sa.Column('encoding', sa.String(), nullable=True),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('blob_path', sa.String(), nullable=False),
    sa.Column('account_id', sa.String(), nullable=True),
    sa.Column('rep_id', sa.String(), nullable=True),
    sa.Column('hospital', sa.String(), nullable=True),
    sa.Column('reference_date', sa.Date(), nullable=True),
    sa.Column('meta', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('min_confidence', sa.Float(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    if_not_exists=True))
    tables.append(op.create_table('extraction_records',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('document_id', sa.String(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('reference_date', sa.Date(), nullable=False),
    sa.Column('rep_id', sa.String(), nullable=True),
    sa.Column('account_id', sa.String(), nullable=True),
    sa.Column('hospital', sa.String(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('record_json', sa.Text(), nullable=False),
    sa.Column('min_confidence', sa.Float(), nullable=False),
    sa.Column('review_status', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('reviewed_by', sa.String(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    if_not_exists=True))
    tables.append(op.create_table('login_failures',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('who', sa.String(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    if_not_exists=True))
    tables.append(op.create_table('playbook_scenarios',
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('department', sa.String(), nullable=False),
    sa.Column('journey_node', sa.String(), nullable=False),
    sa.Column('category', sa.String(), nullable=False),
    sa.Column('slug', sa.String(), nullable=True),
    sa.Column('won_deals', sa.Integer(), nullable=False),
    sa.Column('lost_deals', sa.Integer(), nullable=False),
    sa.Column('built_at', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    if_not_exists=True))
    tables.append(op.create_table('rules_accounts',
    sa.Column('account_id', sa.String(), nullable=False),
    sa.Column('rep_id', sa.String(), nullable=False),
    sa.Column('manager_id', sa.String(), nullable=True),
    sa.Column('journey_node', sa.String(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('applied_documents', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('account_id'),
    if_not_exists=True))
    tables.append(op.create_table('rules_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(), nullable=False),
    sa.Column('document_id', sa.String(), nullable=True),
    sa.Column('field', sa.String(), nullable=False),
    sa.Column('action', sa.String(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('changed', sa.JSON(), nullable=False),
    sa.Column('by', sa.String(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    if_not_exists=True))
    tables.append(op.create_table('scheduler_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('slot', sa.String(), nullable=False),
    sa.Column('trigger', sa.String(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('ok', sa.Boolean(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slot'),
    if_not_exists=True))
    tables.append(op.create_table('teams',
    sa.Column('team_id', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.PrimaryKeyConstraint('team_id'),
    if_not_exists=True))
    tables.append(op.create_table('users',
    sa.Column('username', sa.String(), nullable=False),
    sa.Column('display_name', sa.String(), nullable=False),
    sa.Column('role', sa.String(), nullable=False),
    sa.Column('rep_id', sa.String(), nullable=True),
    sa.Column('password_hash', sa.String(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('username'),
    if_not_exists=True))
    tables.append(op.create_table('chunks',
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('document_id', sa.String(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    if_not_exists=True))
    tables.append(op.create_table('extraction_corrections',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(), nullable=False),
    sa.Column('action', sa.String(), nullable=False),
    sa.Column('value_json', sa.Text(), nullable=True),
    sa.Column('reviewer', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(), nullable=True),
    sa.Column('item_index', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['extraction_records.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    if_not_exists=True))
    tables.append(op.create_table('ingest_jobs',
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('document_id', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('worker', sa.String(), nullable=True),
    sa.Column('transient', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    if_not_exists=True))
    tables.append(op.create_table('pages',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('document_id', sa.String(), nullable=False),
    sa.Column('page_no', sa.Integer(), nullable=False),
    sa.Column('engine', sa.String(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('document_id', 'page_no'),
    if_not_exists=True))
    tables.append(op.create_table('playbook_tips',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('scenario_id', sa.String(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('lift', sa.Float(), nullable=False),
    sa.Column('won_hits', sa.Integer(), nullable=False),
    sa.Column('won_total', sa.Integer(), nullable=False),
    sa.Column('lost_hits', sa.Integer(), nullable=False),
    sa.Column('lost_total', sa.Integer(), nullable=False),
    sa.Column('key_terms', sa.Text(), nullable=False),
    sa.Column('sources', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['scenario_id'], ['playbook_scenarios.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    if_not_exists=True))
    tables.append(op.create_table('rules_objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(), nullable=False),
    sa.Column('category', sa.String(), nullable=False),
    sa.Column('raised_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('evidence', sa.String(), nullable=True),
    sa.Column('document_id', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['rules_accounts.account_id'], ),
    sa.PrimaryKeyConstraint('id'),
    if_not_exists=True))
    tables.append(op.create_table('rules_stalls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(), nullable=False),
    sa.Column('rep_id', sa.String(), nullable=False),
    sa.Column('node', sa.String(), nullable=False),
    sa.Column('since', sa.DateTime(), nullable=False),
    sa.Column('detected_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['rules_accounts.account_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id', 'node', 'since'),
    if_not_exists=True))
    tables.append(op.create_table('rules_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(), nullable=False),
    sa.Column('from_node', sa.String(), nullable=False),
    sa.Column('to_node', sa.String(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('by', sa.String(), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('missing', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(), nullable=False),
    sa.Column('event_id', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['rules_accounts.account_id'], ),
    sa.PrimaryKeyConstraint('id'),
    if_not_exists=True))
    tables.append(op.create_table('rules_work_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(), nullable=False),
    sa.Column('account_id', sa.String(), nullable=False),
    sa.Column('node', sa.String(), nullable=False),
    sa.Column('customer', sa.String(), nullable=False),
    sa.Column('device_model', sa.String(), nullable=True),
    sa.Column('expected_start', sa.Date(), nullable=False),
    sa.Column('engineer_id', sa.String(), nullable=False),
    sa.Column('engineer_name', sa.String(), nullable=False),
    sa.Column('engineer_phone', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['rules_accounts.account_id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key'),
    if_not_exists=True))
    tables.append(op.create_table('team_members',
    sa.Column('team_id', sa.String(), nullable=False),
    sa.Column('username', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.team_id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['username'], ['users.username'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'username'),
    if_not_exists=True))
    tables.append(op.create_table('web_sessions',
    sa.Column('token_digest', sa.String(), nullable=False),
    sa.Column('username', sa.String(), nullable=False),
    sa.Column('csrf', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['username'], ['users.username'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_digest'),
    if_not_exists=True))
    tables.append(op.create_table('ocr_lines',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('page_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('box', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['page_id'], ['pages.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    if_not_exists=True))
    _add_missing_columns(tables)
    op.create_index(op.f('ix_alerts_outbox_recipient'), 'alerts_outbox', ['recipient'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_alerts_outbox_status'), 'alerts_outbox', ['status'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_audit_log_at'), 'audit_log', ['at'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_audit_log_document_id'), 'audit_log', ['document_id'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_documents_account_id'), 'documents', ['account_id'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_documents_rep_id'), 'documents', ['rep_id'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_documents_sha256'), 'documents', ['sha256'], unique=True, if_not_exists=True)
    op.create_index(op.f('ix_extraction_records_account_id'), 'extraction_records', ['account_id'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_extraction_records_document_id'), 'extraction_records', ['document_id'], unique=True, if_not_exists=True)
    op.create_index(op.f('ix_extraction_records_hospital'), 'extraction_records', ['hospital'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_extraction_records_rep_id'), 'extraction_records', ['rep_id'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_login_failures_at'), 'login_failures', ['at'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_login_failures_who'), 'login_failures', ['who'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_playbook_scenarios_slug'), 'playbook_scenarios', ['slug'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_rules_accounts_manager_id'), 'rules_accounts', ['manager_id'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_rules_accounts_rep_id'), 'rules_accounts', ['rep_id'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_rules_corrections_account_id'), 'rules_corrections', ['account_id'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_rules_corrections_document_id'), 'rules_corrections', ['document_id'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_scheduler_runs_name'), 'scheduler_runs', ['name'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_chunks_document_id'), 'chunks', ['document_id'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_extraction_corrections_record_id'), 'extraction_corrections', ['record_id'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_ingest_jobs_document_id'), 'ingest_jobs', ['document_id'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_pages_document_id'), 'pages', ['document_id'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_playbook_tips_scenario_id'), 'playbook_tips', ['scenario_id'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_rules_objections_account_id'), 'rules_objections', ['account_id'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_rules_stalls_account_id'), 'rules_stalls', ['account_id'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_rules_transitions_account_id'), 'rules_transitions', ['account_id'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_rules_work_orders_account_id'), 'rules_work_orders', ['account_id'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_web_sessions_username'), 'web_sessions', ['username'], unique=False, if_not_exists=True)
    op.create_index(op.f('ix_ocr_lines_page_id'), 'ocr_lines', ['page_id'], unique=False, if_not_exists=True)

def _add_missing_columns(tables: list[sa.Table]) -> None:
    """A data dir made before migrations existed has these tables already, perhaps without the
    nullable columns added since: give it them, so it reads like a new one."""
    inspector = sa.inspect(op.get_bind())
    for table in tables:
        have = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in have and column.nullable:  # what the pre-migration code added too
                op.add_column(table.name, column._copy())


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('ocr_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ocr_lines_page_id'))

    op.drop_table('ocr_lines')
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_sessions_username'))

    op.drop_table('web_sessions')
    op.drop_table('team_members')
    with op.batch_alter_table('rules_work_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rules_work_orders_account_id'))

    op.drop_table('rules_work_orders')
    with op.batch_alter_table('rules_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rules_transitions_account_id'))

    op.drop_table('rules_transitions')
    with op.batch_alter_table('rules_stalls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rules_stalls_account_id'))

    op.drop_table('rules_stalls')
    with op.batch_alter_table('rules_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rules_objections_account_id'))

    op.drop_table('rules_objections')
    with op.batch_alter_table('playbook_tips', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_playbook_tips_scenario_id'))

    op.drop_table('playbook_tips')
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pages_document_id'))

    op.drop_table('pages')
    with op.batch_alter_table('ingest_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ingest_jobs_document_id'))

    op.drop_table('ingest_jobs')
    with op.batch_alter_table('extraction_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extraction_corrections_record_id'))

    op.drop_table('extraction_corrections')
    with op.batch_alter_table('chunks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chunks_document_id'))

    op.drop_table('chunks')
    op.drop_table('users')
    op.drop_table('teams')
    with op.batch_alter_table('scheduler_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheduler_runs_name'))

    op.drop_table('scheduler_runs')
    with op.batch_alter_table('rules_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rules_corrections_document_id'))
        batch_op.drop_index(batch_op.f('ix_rules_corrections_account_id'))

    op.drop_table('rules_corrections')
    with op.batch_alter_table('rules_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rules_accounts_rep_id'))
        batch_op.drop_index(batch_op.f('ix_rules_accounts_manager_id'))

    op.drop_table('rules_accounts')
    with op.batch_alter_table('playbook_scenarios', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_playbook_scenarios_slug'))

    op.drop_table('playbook_scenarios')
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failures_who'))
        batch_op.drop_index(batch_op.f('ix_login_failures_at'))

    op.drop_table('login_failures')
    with op.batch_alter_table('extraction_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_extraction_records_rep_id'))
        batch_op.drop_index(batch_op.f('ix_extraction_records_hospital'))
        batch_op.drop_index(batch_op.f('ix_extraction_records_document_id'))
        batch_op.drop_index(batch_op.f('ix_extraction_records_account_id'))

    op.drop_table('extraction_records')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_sha256'))
        batch_op.drop_index(batch_op.f('ix_documents_rep_id'))
        batch_op.drop_index(batch_op.f('ix_documents_account_id'))

    op.drop_table('documents')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_document_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
    op.drop_table('api_keys')
    with op.batch_alter_table('alerts_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alerts_outbox_status'))
        batch_op.drop_index(batch_op.f('ix_alerts_outbox_recipient'))

    op.drop_table('alerts_outbox')
    # ### end Alembic commands ###
