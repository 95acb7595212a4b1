"""PowerShell 2.0 compatibility, checked on the syntax tree of tree-sitter-powershell.

No PowerShell interpreter can be installed from the package registries this
project builds from (PyPI, Debian, npm), so the payload is checked with the
tree-sitter grammar for PowerShell (PyPI ``tree-sitter-powershell``):
syntax errors, and a list of constructs newer than PowerShell 2.0 that a
script for Windows Server 2008 R2 must not use. What this cannot see: .NET
APIs newer than 2.0/3.5 (the payload guards those at run time), and
behaviour. :func:`problems` returns one line per finding, with its line number.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import tree_sitter_powershell
from tree_sitter import Language, Node, Parser

# Cmdlets newer than 2.0 that a payload for old hosts must never call.
NEWER_COMMANDS = {
    "convertto-json", "convertfrom-json", "invoke-webrequest", "invoke-restmethod",
    "test-netconnection", "resolve-dnsname", "get-netadapter", "get-dnsclientserveraddress",
    "get-netipconfiguration", "new-guid", "get-filehash", "get-computerinfo",
}  # fmt: skip
# Allowed only behind ``if (Get-Command <name> ...)``: PowerShell 7 lacks Get-WmiObject.
GUARDED_COMMANDS = {"get-ciminstance"}
NEWER_OPERATORS = {"-in", "-notin", "-shl", "-shr"}  # PowerShell 3.0
NEWER_TYPES = {"ordered", "pscustomobject"}  # PowerShell 3.0 accelerators
NEWER_VARIABLES = {"$psitem", "$psscriptroot", "$pscommandpath"}  # PowerShell 3.0
NEWER_STATEMENTS = {"class_statement", "enum_statement", "using_statement"}  # PowerShell 5.0
NEWER_METHODS = {"where", "foreach"}  # collection methods, PowerShell 4.0


@cache
def parser() -> Parser:
    return Parser(Language(tree_sitter_powershell.language()))


def nodes(root: Node) -> Iterator[Node]:
    todo = [root]
    while todo:
        node = todo.pop()
        yield node
        todo.extend(reversed(node.children))


def syntax_errors(source: bytes) -> list[str]:
    tree = parser().parse(source)
    return [
        f"line {n.start_point[0] + 1}: syntax error near {source[n.start_byte : n.end_byte][:40]!r}"
        for n in nodes(tree.root_node)
        if n.type == "ERROR" or n.is_missing
    ]


def problems(source: bytes) -> list[str]:
    """Syntax errors and constructs newer than PowerShell 2.0, one line each."""
    tree = parser().parse(source)
    found = syntax_errors(source)
    for node in nodes(tree.root_node):
        text = source[node.start_byte : node.end_byte].decode("utf-8", "replace")
        line = f"line {node.start_point[0] + 1}"
        lowered = text.lower()
        if node.type == "command_name" and lowered in NEWER_COMMANDS:
            found.append(f"{line}: {text} is newer than PowerShell 2.0")
        if (
            node.type == "command_name"
            and lowered in GUARDED_COMMANDS
            and not _guarded(node, source)
        ):
            found.append(f"{line}: {text} outside an 'if (Get-Command {text} ...)' guard")
        if node.type == "comparison_operator" and lowered in NEWER_OPERATORS:
            found.append(f"{line}: operator {text} is newer than PowerShell 2.0")
        if (
            node.type == "type_name"
            and lowered in NEWER_TYPES
            and node.parent
            and node.parent.type == "type_spec"
        ):
            found.append(f"{line}: [{text}] is newer than PowerShell 2.0")
        if node.type == "variable" and lowered in NEWER_VARIABLES:
            found.append(f"{line}: {text} is newer than PowerShell 2.0")
        if node.type in NEWER_STATEMENTS:
            found.append(f"{line}: {node.type.replace('_', ' ')} is newer than PowerShell 2.0")
        if node.type in ("&&", "||"):
            found.append(f"{line}: pipeline chain {node.type} is PowerShell 7")
        if node.type == "member_name":
            before = node.prev_sibling
            if before is not None and before.type == "::" and lowered.startswith("new"):
                found.append(f"{line}: ::new() is newer than PowerShell 2.0 (use New-Object)")
            if before is not None and before.type == "." and lowered.split("(")[0] in NEWER_METHODS:
                found.append(f"{line}: .{text.split('(')[0]}() is newer than PowerShell 2.0")
        if node.type == "command_parameter" and lowered == "-erroraction":
            value = node.next_named_sibling
            while value is not None and value.type == "command_argument_sep":
                value = value.next_named_sibling
            if value is not None and source[value.start_byte : value.end_byte].lower() == b"ignore":
                found.append(f"{line}: -ErrorAction Ignore is newer than PowerShell 2.0")
    return found


def _guarded(node: Node, source: bytes) -> bool:
    """Inside the block of an ``if`` whose condition asks Get-Command for this very command."""
    name = source[node.start_byte : node.end_byte].decode().lower()
    parent = node.parent
    while parent is not None:
        if parent.type == "if_statement":
            condition = parent.child_by_field_name("condition") or parent.children[2]
            text = source[condition.start_byte : condition.end_byte].decode().lower()
            if f"get-command {name}" in text:
                return True
        parent = parent.parent
    return False
