"""quizzes: question bank, attempts, responses

Revision ID: 0004_quizzes
Revises: 0003_api_tokens
Create Date: 2026-11-25 18:19:58.344409

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_quizzes'
down_revision = '0003_api_tokens'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('question_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_question_categories_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['question_categories.id'], name=op.f('fk_question_categories_parent_id_question_categories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_categories')),
    sa.UniqueConstraint('course_id', 'parent_id', 'name', name=op.f('uq_question_categories_course_id'))
    )
    with op.batch_alter_table('question_categories', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_categories_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_categories_parent_id'), ['parent_id'], unique=False)

    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('text_format', sa.String(length=10), nullable=False),
    sa.Column('general_feedback', sa.Text(), nullable=False),
    sa.Column('general_feedback_format', sa.String(length=10), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('default_mark', sa.Float(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['question_categories.id'], name=op.f('fk_questions_category_id_question_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_questions_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questions_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_questions_course_id'), ['course_id'], unique=False)

    op.create_table('quiz_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('enrollment_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('layout', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('deadline_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('max_score', sa.Float(), nullable=False),
    sa.Column('needs_grading', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_quiz_attempts_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'], name=op.f('fk_quiz_attempts_enrollment_id_enrollments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_attempts')),
    sa.UniqueConstraint('enrollment_id', 'activity_id', 'number', name=op.f('uq_quiz_attempts_enrollment_id'))
    )
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_attempts_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quiz_attempts_deadline_at'), ['deadline_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_quiz_attempts_enrollment_id'), ['enrollment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quiz_attempts_state'), ['state'], unique=False)

    op.create_table('quiz_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('answer', sa.JSON(), nullable=True),
    sa.Column('fraction', sa.Float(), nullable=True),
    sa.Column('mark', sa.Float(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('graded_by_id', sa.Integer(), nullable=True),
    sa.Column('graded_at', sa.DateTime(), nullable=True),
    sa.Column('saved_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempts.id'], name=op.f('fk_quiz_responses_attempt_id_quiz_attempts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['graded_by_id'], ['users.id'], name=op.f('fk_quiz_responses_graded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_quiz_responses_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_responses')),
    sa.UniqueConstraint('attempt_id', 'slot', name=op.f('uq_quiz_responses_attempt_id'))
    )
    with op.batch_alter_table('quiz_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_responses_attempt_id'), ['attempt_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quiz_responses_question_id'), ['question_id'], unique=False)



def downgrade():
    with op.batch_alter_table('quiz_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quiz_responses_question_id'))
        batch_op.drop_index(batch_op.f('ix_quiz_responses_attempt_id'))

    op.drop_table('quiz_responses')
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quiz_attempts_state'))
        batch_op.drop_index(batch_op.f('ix_quiz_attempts_enrollment_id'))
        batch_op.drop_index(batch_op.f('ix_quiz_attempts_deadline_at'))
        batch_op.drop_index(batch_op.f('ix_quiz_attempts_activity_id'))

    op.drop_table('quiz_attempts')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_course_id'))
        batch_op.drop_index(batch_op.f('ix_questions_category_id'))

    op.drop_table('questions')
    with op.batch_alter_table('question_categories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_categories_parent_id'))
        batch_op.drop_index(batch_op.f('ix_question_categories_course_id'))

    op.drop_table('question_categories')
