"""Every name the package reserves in Dagster: tags, metadata keys, resource, op and job names.

Defined once here, so the module that writes a key and the modules that read it
cannot disagree, and none imports another just for a string. The values are
stored in run and job records and in users' tag filters: never change one.
Each entry says who writes it and who reads it.
"""

from __future__ import annotations

# --- Job tags (every run of the job carries them) -------------------------------------------

PACKAGE_PREFIX = "neurocore/"
"""Prefix of every package-owned tag and metadata key; the component refuses user tags in it."""
BLUEPRINT_TAG = "neurocore/blueprint"
"""Blueprint name. Written: jobs.build (job tag), translator (op tag). Read: runs list, CLI."""
BLUEPRINT_VERSION_TAG = "neurocore/blueprint_version"
"""Blueprint version. Written: jobs.build. Read: users' filters in the UI."""
FLOW_TYPE_TAG = "neurocore/flow_type"
"""sequential / conditional / graph. Written: jobs.build. Read: users' filters in the UI."""
SHAPE_TAG = "neurocore/shape"
"""Fingerprint of blueprint and job shape. Written: jobs.build. Read: job_shape.SameJobAsParent."""
BROKEN_TAG = "neurocore/broken"
"""``"true"`` on a broken file's placeholder job. Written: definitions.broken_job. Read: the UI."""

# --- Run tags (a run's state, added while or after it runs) ---------------------------------

STATUS_TAG = "neurocore/status"
"""SUSPENDED or DECIDED. Written: op rendering, approvals. Read: service, CLI, UI filters."""
SUSPENDED = "suspended"
"""``STATUS_TAG`` of a run that ended at a gate and awaits a decision."""
DECIDED = "decided"
"""``STATUS_TAG`` of a suspended run once a child run has claimed its one decision."""
SUSPENDED_OP_TAG = "neurocore/suspended_op"
"""Plan op key the run suspended at. Written: op rendering. Read: approvals (re-execution)."""
SUSPENSION_REASON_TAG = "neurocore/suspension_reason"
"""The gate's message (first 200 chars). Written: op rendering. Read: service.events."""
DECIDED_IN_TAG = "neurocore/decided_in"
"""On a suspended run: the child run that took its decision. Written/read: approvals."""
DECISION_TAG = "neurocore/decision"
"""approved / rejected, on the deciding run. Written: approvals.suspensions. Read: CLI, UI."""
DECIDED_BY_TAG = "neurocore/decided_by"
"""Who decided, on the deciding run. Written: approvals.suspensions. Read: CLI, UI."""
DECISION_NOTE_TAG = "neurocore/decision_note"
"""The decision's note, on the deciding run. Written: approvals.suspensions. Read: CLI, UI."""
DECIDES_TAG = "neurocore/decides"
"""On a run of the approve job: the suspended run it decides. Written/read: approve_job."""
RESUMED_IN_TAG = "neurocore/resumed_in"
"""On a run of the approve job: the child run it re-executed the suspended run in.
Written/read: approve_job."""
CLAIM_TAG = "neurocore/claim"
"""On a re-execution: the token of the claim on its parent. Written/read: reexecution_claims."""
CLAIM_KEY_PREFIX = "neurocore/claim/"
"""Prefix of the instance key-value storage key of a claim. Written/read: approvals.claims."""
PROCESS_TAG = "neurocore/process"
"""Host and pid of the process orchestrating a run. Written: executors. Read: dead_runs."""
LAUNCH_TAG = "neurocore/launch"
"""Token the stream finds its launched run by. Written/read: service.events."""
BLUEPRINT_CHANGED_TAG = "neurocore/blueprint_changed"
"""On a resumed run: the parent's blueprint file changed since. Written: recorded_job."""
PROJECT_CHANGED_TAG = "neurocore/project_config_changed"
"""On a resumed run: the ``neurocore.yaml`` keys that changed since. Written: recorded_job."""
SHAPE_UNRECORDED_TAG = "neurocore/shape_unrecorded"
"""On a resumed run whose parent predates recorded shapes. Written: recorded_job."""
DAGSTER_PARENT_TAG = "dagster/parent_run_id"
DAGSTER_ROOT_TAG = "dagster/root_run_id"
"""Dagster's run-group tags: a re-execution from the UI has them; ``resume_blueprint`` adds
them (``execute_job`` does not), so every re-execution is found from its parent."""

# --- Op tags and op metadata (written by the translator's default hooks) --------------------

SKILL_TAG = "neurocore/skill"
"""Skill name(s) an op runs. Written: translator.get_op_spec. Read: concurrency limits."""
SKILL_VERSION_TAG = "neurocore/skill_version"
"""Skill version of a step or node op. Written: translator.get_op_spec. Read: the UI."""
KIND_KEY = "neurocore/kind"
"""step / router / node / loop, as op tag. Written: translator's default ``get_op_spec``."""

# --- Job metadata (kept in the job snapshot of every run) ------------------------------------

BLUEPRINT_METADATA = "neurocore/blueprint"
"""The blueprint snapshot (same string as BLUEPRINT_TAG, in job metadata rather than tags).
Written: jobs.build. Read: recorded_job (resume, replay)."""
PLAN_METADATA = "neurocore/plan"
"""The plan record (plan.serial.PlanRecord, with op names and resource keys). Written:
jobs.build. Read: only through jobs.recorded_plan (final_context, resume, run_config)."""
RESOURCES_METADATA = "neurocore/resources"
"""Component -> resource key, beside the unversioned plan of jobs built before the record
carried them. No longer written; read only by jobs.recorded_plan for such runs."""
SOURCE_METADATA = "neurocore/source"
"""The blueprint's file. Written: jobs.build, definitions.broken_job. Read: recorded_job,
approve_job, CLI ``defs``."""
ERROR_METADATA = "neurocore/error"
"""A broken file's error text. Written: definitions.broken_job. Read: the UI."""
SHAPE_METADATA = "neurocore/shape"
"""What shaped the job besides its blueprint (same string as SHAPE_TAG, in metadata).
Written: jobs.build. Read: recorded_job, job_shape.SameJobAsParent."""
STEP_BLUEPRINT_KEY = "neurocore/step_blueprint"
"""Reconstruction metadata: the blueprint file a step process loads. Written/read: executors."""

# --- Op output metadata (on each op's flow_context output) ----------------------------------
# Written: jobs.op_rendering.output_metadata. Read: service.events, service.inspect,
# storage.stored_outputs.

KEYS_WRITTEN_METADATA = "keys_written"
PORT_METADATA = "port"
ROUTES_METADATA = "routes_activated"
SKIPPED_METADATA = "skipped"
SKIP_REASON_METADATA = "skip_reason"
SUSPENDED_METADATA = "suspended"
APPROVAL_MESSAGE_METADATA = "approval_message"
VISITS_METADATA = "visits"
SKILL_METADATA = "skill"
SKILL_MS_METADATA = "skill_ms"
LLM_CALLS_METADATA = "llm_calls"
LLM_INPUT_TOKENS_METADATA = "llm_input_tokens"
LLM_OUTPUT_TOKENS_METADATA = "llm_output_tokens"
LLM_MODELS_METADATA = "llm_models"
REFS_PATH_METADATA = "refs_path"
"""Where the IO manager stored an output's delta refs. Written: storage.io_manager. Read:
storage.stored_outputs."""

# --- Op inputs and outputs ------------------------------------------------------------------

CONTEXT_OUTPUT = "flow_context"
"""An op's context lineage; the next op reads it when its routes are plain."""
SUSPENDED_OUTPUT = "suspended_context"
"""The lineage of a step that suspended the run (nothing reads it, so what follows is skipped)."""
CONTEXT_OUTPUTS = frozenset({CONTEXT_OUTPUT, SUSPENDED_OUTPUT})
"""The outputs that hold an op's lineage: ``final_context`` and reports read either."""
UPSTREAM_INPUT = "upstream"
"""Every op's one fan-in input: the lineages on its incoming routes."""

# --- Reserved resource keys -----------------------------------------------------------------

RUN_RESOURCE_KEY = "neurocore"
"""The run's inputs (initial data, resume data). Written: jobs.build. Read: every op."""
LLM_RESOURCE_KEY = "llm"
"""The LLMs of the job's components. Written: jobs.build. Read: component resources."""
IO_MANAGER_KEY = "io_manager"
"""Dagster's IO manager key; the package's stores context deltas."""
RESERVED_RESOURCE_KEYS = (RUN_RESOURCE_KEY, IO_MANAGER_KEY, LLM_RESOURCE_KEY)
"""No component's resource key may be one of these (jobs.build refuses it)."""

# --- Reserved job and op names --------------------------------------------------------------

RESERVED_NAME_PREFIX = "__"
"""Dagster's own job names (``__ASSET_JOB``); blueprint names may not start with it."""
BROKEN_PREFIX = "broken__"
"""Placeholder jobs of broken blueprint files are ``broken__<file stem>``; no blueprint's
job may take a name starting with it."""
PACKAGE_JOB_PREFIX = "neurocore__"
"""Jobs the package adds to every project's definitions are ``neurocore__<name>``."""
APPROVE_JOB_NAME = PACKAGE_JOB_PREFIX + "approve_run"
"""The job that decides a suspended run from the UI (``approvals.approve_job``)."""
APPROVE_OP_NAME = "decide_suspended_run"
"""Its one op, under which the launchpad config goes."""
RESERVED_JOB_PREFIXES = (RESERVED_NAME_PREFIX, BROKEN_PREFIX, PACKAGE_JOB_PREFIX)
"""Job names Dagster keeps for itself, placeholders or the package use (jobs.build refuses)."""

# --- Runtime reports, asset triggers, code locations ---------------------------------------

REPORT_METADATA = "neurocore/report"
"""Metadata key of an event that carries a runtime report: its value is the report's
kind, the other entries are the report's fields (``runtime.observer.report_fields``)."""

APPROVE_COMMAND = "neurocore-dagster runs approve"
"""The CLI command that decides a suspended run, as the run's log spells it for users."""

UPSTREAM_ASSET_TAG = "neurocore/upstream_asset"
"""On a run an ``asset_sensor`` started: the asset key (``raw/tickets``) that materialized.
Written: dagster_layer.asset_sensor. Read: users' run filters in the UI."""
UPSTREAM_RUN_TAG = "neurocore/upstream_run"
"""On a run an ``asset_sensor`` started: the run id of the materialization that started it
(empty for a materialization reported outside a run). Written: dagster_layer.asset_sensor."""
UPSTREAM_EVENT_TAG = "neurocore/upstream_storage_id"
"""On a run an ``asset_sensor`` started: the materialization's event storage id (also in
its run key), which names one materialization in the instance. Written: asset_sensor."""

NO_CODE_LOCATION_TAG = "neurocore/no_code_location"
"""On a run started by the CLI or Python that no code location serves (a blueprint
built in memory): why, so the UI cannot re-execute it (``runs resume`` can). Runs a
location serves carry Dagster's own ``dagster/code_location`` tag instead."""

# --- Assets (dagster_layer.assets) -----------------------------------------------------------

ASSET_BLUEPRINT_KEY = "neurocore/blueprint"
"""Asset and materialization metadata: the blueprint's name (same string as BLUEPRINT_TAG).
Written: assets.specs, assets.events."""
ASSET_VERSION_KEY = "neurocore/blueprint_version"
"""Asset and materialization metadata: the blueprint's version. Written: assets.specs, events."""
ASSET_JOB_KEY = "neurocore/job"
"""Asset and asset-check metadata: the job that writes the asset. Written: assets.specs.
Read: assets.report."""
ASSET_OUTPUT_KEY = "neurocore/output"
"""Asset metadata: the context key (declared output) the asset is. Written: assets.specs."""
ASSET_WRITERS_KEY = "neurocore/written_by"
"""Asset metadata: the nodes whose skills declare they provide the key, or why unknown.
Written: assets.specs."""
CHECK_KIND_KEY = "neurocore/check_kind"
"""Asset-check metadata: the check's kind (present, not_empty, ...). Written: assets.specs."""
ASSET_NODE_KEY = "neurocore/node"
"""Materialization metadata: the op (step, node or loop) that wrote the value.
Written: assets.events."""
MATERIALIZED_FROM_RUN_TAG = "neurocore/materialized_from_run"
"""On a blueprint's run that an asset run started: that asset run's id.
Written: assets.materialize."""
MATERIALIZE_OP_PREFIX = PACKAGE_JOB_PREFIX + "materialize__"
"""``neurocore__materialize__<job>``: the computation behind a blueprint's assets (no
blueprint op can take the name: those are ``<job>__<op>`` and no job starts so)."""
ASSET_CHECKS_OP_PREFIX = PACKAGE_JOB_PREFIX + "asset_checks__"
"""The checks op of a blueprint's assets is ``neurocore__asset_checks__<job name>`` (no
blueprint op can take it: those are ``<job name>__<op>``, and no job starts so)."""
