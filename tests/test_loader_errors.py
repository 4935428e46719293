"""The loader names the file, the line and the offending name for each kind of mistake."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from neurocore_dagster import BlueprintError, load_blueprint

GOOD_HEAD = """\
name: triage
components:
  - name: classify
    type: classify_ticket
  - name: bug
    type: handle
"""

CONDITION_HEAD = GOOD_HEAD + 'flow:\n  steps:\n    - component: bug\n      condition: "'
TIMEZONE_HEAD = (
    GOOD_HEAD
    + "flow:\n  steps: [{component: bug}]\n"
    + "triggers:\n  - schedule: {cron: '0 9 * * *', timezone: "
)

# (id, document, expected line, expected issue type, text that must appear)
CASES = [
    (
        "unknown_edge_target",
        GOOD_HEAD
        + """\
flow:
  type: graph
  nodes:
    - {id: classify, component: classify}
    - {id: bug, component: bug}
  edges:
    - {source: classify, target: bug}
    - {source: classify, target: ghost}
""",
        14,
        "edge.unknown_target",
        "'ghost' is not a node",
    ),
    (
        "unknown_edge_source",
        GOOD_HEAD
        + """\
flow:
  type: graph
  nodes:
    - {id: classify, component: classify}
  edges:
    - source: nowhere
      target: classify
""",
        12,
        "edge.unknown_source",
        "'nowhere'",
    ),
    (
        "unknown_step_component",
        GOOD_HEAD
        + """\
flow:
  steps:
    - component: classify
    - component: bugg
""",
        10,
        "step.unknown_component",
        "'bugg'",
    ),
    (
        "unknown_node_component",
        GOOD_HEAD
        + """\
flow:
  type: graph
  nodes:
    - id: first
      component: clasify
""",
        11,
        "node.unknown_component",
        "'clasify'",
    ),
    (
        "duplicate_component",
        GOOD_HEAD
        + """\
  - name: bug
    type: handle
flow:
  steps: [{component: bug}]
""",
        7,
        "component.duplicate",
        "'bug'",
    ),
    (
        "duplicate_node",
        GOOD_HEAD
        + """\
flow:
  type: graph
  nodes:
    - {id: a, component: bug}
    - {id: a, component: classify}
""",
        11,
        "node.duplicate",
        "'a'",
    ),
    (
        "unknown_flow_type",
        GOOD_HEAD
        + """\
flow:
  type: parallel
  steps: [{component: bug}]
""",
        8,
        "value.literal_error",
        "parallel",
    ),
    (
        "unknown_key",
        GOOD_HEAD
        + """\
flow:
  steps:
    - component: bug
      conditon: context.data.x
""",
        10,
        "key.unknown",
        "conditon",
    ),
    (
        "condition_syntax",
        GOOD_HEAD
        + """\
flow:
  steps:
    - component: bug
      condition: "context.data.x >"
""",
        10,
        "condition.syntax",
        "invalid syntax",
    ),
    (
        "condition_call",
        GOOD_HEAD
        + """\
flow:
  steps:
    - component: bug
      condition: "len(context.data.items) > 0"
""",
        10,
        "condition.unsafe",
        "Call",
    ),
    (
        "condition_unknown_name",
        GOOD_HEAD
        + """\
flow:
  steps:
    - component: bug
      condition: "scoer > 0.5"
""",
        10,
        "condition.unknown_name",
        "'scoer'",
    ),
    (
        "condition_private_attribute",
        GOOD_HEAD
        + """\
flow:
  steps:
    - component: bug
      condition: "context.__class__ is None"
""",
        10,
        "condition.private_name",
        "__class__",
    ),
    (
        "settings_out_of_range",
        GOOD_HEAD
        + """\
flow:
  settings:
    max_iterations: 5000
  steps: [{component: bug}]
""",
        9,
        "value.less_than_equal",
        "1000",
    ),
    (
        "bad_on_error",
        GOOD_HEAD
        + """\
flow:
  steps:
    - component: bug
      on_error: ignore
""",
        10,
        "value.literal_error",
        "ignore",
    ),
    (
        "missing_name",
        """\
components:
  - name: a
    type: handle
flow:
  steps: [{component: a}]
""",
        None,
        "key.missing",
        "'name'",
    ),
    (
        "graph_without_nodes",
        GOOD_HEAD
        + """\
flow:
  type: graph
  edges: []
""",
        7,
        "flow.no_nodes",
        "at least one node",
    ),
    (
        "steps_in_graph",
        GOOD_HEAD
        + """\
flow:
  type: graph
  steps: [{component: bug}]
  nodes: [{id: a, component: bug}]
""",
        9,
        "flow.misplaced_key",
        "'steps'",
    ),
    (
        "duplicate_yaml_key",
        GOOD_HEAD
        + """\
flow:
  steps: [{component: bug}]
  steps: [{component: classify}]
""",
        9,
        "yaml.duplicate_key",
        "'steps'",
    ),
    (
        "yaml_syntax",
        GOOD_HEAD
        + """\
flow:
  steps: [{component: bug}
""",
        9,
        "yaml.syntax",
        "invalid YAML",
    ),
    ("not_a_mapping", "- just\n- a list\n", 1, "document.not_mapping", "a list"),
    (
        "unquoted_yes_port",
        GOOD_HEAD
        + """\
flow:
  type: graph
  nodes: [{id: a, component: bug}, {id: b, component: bug}]
  edges:
    - {source: a, target: b, port: yes}
""",
        11,
        "value.string_type",
        "quote it",
    ),
    # Regressions found by the hardening corpus and property tests: each of these
    # used to escape as something other than a BlueprintError, or without a line.
    (
        "huge_integer",
        GOOD_HEAD + "flow:\n  settings:\n    max_iterations: " + "9" * 5000 + "\n",
        9,
        "yaml.bad_value",
        "4300 digits",
    ),
    (
        "impossible_date",
        GOOD_HEAD + "version: 2024-02-30\nflow:\n  steps: [{component: bug}]\n",
        7,
        "yaml.bad_value",
        "day is out of range",
    ),
    (
        "control_character",
        GOOD_HEAD + "description: \x1b[31mred\nflow:\n  steps: [{component: bug}]\n",
        7,
        "file.control_character",
        "U+001B at column 14",
    ),
    (
        "condition_too_deep_for_the_parser",
        CONDITION_HEAD + "1+" * 4000 + '1"\n',
        10,
        "condition.too_deep",
        "deeper than",
    ),
    (
        "condition_too_deep_for_the_validator",
        CONDITION_HEAD + "not " * 500 + 'True"\n',
        10,
        "condition.too_deep",
        "deeper than",
    ),
    (
        "timezone_is_a_folder",
        TIMEZONE_HEAD + "America}\n",
        10,
        "value.value_error",
        "unknown timezone 'America'",
    ),
    (
        "timezone_longer_than_a_file_name",
        TIMEZONE_HEAD + "z" * 300 + "}\n",
        10,
        "value.value_error",
        "unknown timezone",
    ),
    (
        "approval_keys_of_mixed_types",
        GOOD_HEAD + "flow:\n  steps:\n    - approval: {1: one, two: 2}\n",
        9,
        "key.not_string",
        "key '1': the key is 1 (int), not a string",
    ),
    (
        "input_default_of_wrong_type",
        GOOD_HEAD
        + "inputs:\n  retries: {type: integer, default: true}\n"
        + "flow:\n  steps: [{component: bug}]\n",
        8,
        "input.default_type",
        "'integer'",
    ),
    (
        "syntax_error_at_end_without_newline",
        GOOD_HEAD + "flow:\n  steps: [{component: bug}",
        8,
        "yaml.syntax",
        "invalid YAML",
    ),
    (
        "empty_document_after_marker",
        "---",
        1,
        "document.not_mapping",
        "empty document",
    ),
    (
        "python_tag",
        GOOD_HEAD
        + """\
flow: !!python/object/apply:os.system ["echo hacked"]
""",
        7,
        "yaml.syntax",
        "python/object",
    ),
]


@pytest.mark.parametrize("name,text,line,kind,snippet", CASES, ids=[c[0] for c in CASES])
def test_loader_reports_location(
    tmp_path: Path, name: str, text: str, line: int | None, kind: str, snippet: str
) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path)
    error = caught.value
    message = str(error)
    assert str(path) in message
    assert snippet in message
    matching = [i for i in error.issues if i.type == kind]
    assert matching, f"no issue of type {kind}: {[i.type for i in error.issues]}\n{message}"
    if line is not None:
        assert matching[0].line == line, message
        assert f"{path}:{line}:" in message


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(
        textwrap.dedent("""\
        name: many
        components:
          - {name: a, type: handle}
        flow:
          type: graph
          nodes:
            - {id: a, component: b}
          edges:
            - {source: a, target: x}
            - {source: y, target: a, condition: "len(z)"}
        """)
    )
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path)
    kinds = sorted(i.type for i in caught.value.issues)
    assert kinds == sorted(
        [
            "node.unknown_component",
            "edge.unknown_target",
            "edge.unknown_source",
            "condition.unsafe",
            "condition.unknown_name",
            "condition.unknown_name",
        ]
    )
    assert str(caught.value).startswith("6 problems in ")


def test_missing_file_is_a_blueprint_error(tmp_path: Path) -> None:
    with pytest.raises(BlueprintError, match="cannot read file"):
        load_blueprint(tmp_path / "absent.yaml")


def test_errors_have_structure(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(GOOD_HEAD + "flow:\n  steps: [{component: nope}]\n")
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path)
    [item] = caught.value.errors()
    assert item["loc"] == ["flow", "steps", 0, "component"]
    assert item["input"] == "nope"
    assert "classify" in item["expected"] and "bug" in item["expected"]


def test_directory_is_a_blueprint_error(tmp_path: Path) -> None:
    """A directory used to pass the size check and fail reading with IsADirectoryError."""
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(tmp_path)
    assert [i.type for i in caught.value.issues] == ["file.not_regular"]


def test_utf16_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "utf16.yaml"
    path.write_text(GOOD_HEAD + "flow:\n  steps: [{component: bug}]\n", encoding="utf-16")
    with pytest.raises(BlueprintError, match="file is UTF-16"):
        load_blueprint(path)
