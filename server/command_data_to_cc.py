#!/usr/bin/python3
"""Turns server/command_data.json into the constant C++ records of
server/command_data.h. Run by the build (server/CMakeLists.txt):

    command_data_to_cc.py command_data.json out.cc [--legacy-ranges ranges.inc]

out.cc defines AllCommandData(): one CommandData per command, sorted by
length and name, whose texts are offsets into one pool and whose arguments,
key specs and history are index ranges of three arrays: constant data
without pointers, so that the server builds and relocates nothing at
start-up (see command_data.h). ranges.inc (for the unit tests) lists
COMMAND INFO's first/last/step as Redis reported them, which the server
derives from the key specs instead.

The JSON's fields are checked: a field this script does not know, or fields
in another order than the one the server replies in, fail the build rather
than go missing from COMMAND DOCS.
"""

import argparse
import json
import sys

COMMAND_FIELDS = ["arity", "flags", "acl_categories", "tips", "key_specs", "legacy_range", "hidden_flags",
                  "summary", "since", "group", "complexity", "doc_flags", "deprecated_since", "replaced_by",
                  "history", "arguments"]
# The order of COMMAND DOCS's fields (introspection_commands.cc replies in it).
DOC_FIELDS = ["summary", "since", "group", "complexity", "doc_flags", "deprecated_since", "replaced_by",
              "history", "arguments"]
ARG_FIELDS = ["name", "type", "key_spec_index", "token", "summary", "since", "deprecated_since", "flags",
              "arguments"]
KEY_SPEC_FIELDS = ["notes", "flags", "begin_search", "find_keys"]
BEGIN = {"index": "kIndex", "keyword": "kKeyword", "unknown": "kUnknown"}
FIND = {"range": "kRange", "keynum": "kKeynum", "unknown": "kUnknown"}


def fail(message):
    sys.exit("command_data_to_cc.py: " + message)


def check_order(where, fields, known):
    unknown = [f for f in fields if f not in known]
    if unknown:
        fail("%s: unknown fields %s" % (where, unknown))
    positions = [known.index(f) for f in fields]
    if positions != sorted(positions):
        fail("%s: fields in an unexpected order: %s" % (where, fields))


def literal(text):
    out = ['"']
    for ch in text:
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20:
            out.append("\\%03o" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


class Emitter:
    """Collects the data's texts into one pool and its nested records into
    one array per kind, so that the records hold offsets and index ranges,
    never pointers (see command_data.h)."""

    def __init__(self):
        self.pool = []      # the texts, in order
        self.offsets = {}   # text -> its offset in the pool (each text is stored once)
        self.pool_size = 0  # in bytes (UTF-8)
        self.records = {"ArgDoc": [], "KeySpec": [], "HistoryEntry": []}
        self.slices = {}    # (kind, items) -> (first, count): equal runs are stored once

    def text(self, value):
        if not value:
            return "{}"
        if value not in self.offsets:
            self.offsets[value] = self.pool_size
            self.pool.append(value)
            self.pool_size += len(value.encode("utf-8"))
        return "{%d, %d}" % (self.offsets[value], len(value.encode("utf-8")))

    def words(self, items):
        return self.text(" ".join(items))

    def slice(self, kind, items):
        key = (kind, tuple(items))
        if key not in self.slices:
            records = self.records[kind]
            self.slices[key] = (len(records), len(items))
            records.extend(items)
            if len(records) > 0xFFFF:
                fail("more than 65535 %s records: widen DataSlice" % kind)
        return "{%d, %d}" % self.slices[key]

    def arguments(self, where, args):
        items = []
        for arg in args:
            check_order(where + " argument", list(arg), ARG_FIELDS)
            fields = [".name = %s" % self.text(arg["name"]), ".type = %s" % self.text(arg["type"])]
            if "key_spec_index" in arg:
                fields.append(".key_spec_index = %d" % arg["key_spec_index"])
            for field in ("token", "summary", "since", "deprecated_since"):
                if field in arg:
                    fields.append(".%s = %s" % (field, self.text(arg[field])))
            if arg.get("flags"):
                fields.append(".flags = %s" % self.words(arg["flags"]))
            if "arguments" in arg:
                # The nested arguments go in first: a slice is a run of its own.
                fields.append(".arguments = %s" % self.arguments(where, arg["arguments"]))
            items.append("{%s}" % ", ".join(fields))
        return self.slice("ArgDoc", items)

    def key_specs(self, where, specs):
        items = []
        for spec in specs:
            check_order(where + " key spec", list(spec), KEY_SPEC_FIELDS)
            fields = []
            if "notes" in spec:
                fields.append(".notes = %s" % self.text(spec["notes"]))
            fields.append(".flags = KeySpecFlagsOf(%s)" % literal(" ".join(spec["flags"])))
            begin, find = spec["begin_search"], spec["find_keys"]
            if begin["type"] not in BEGIN or find["type"] not in FIND:
                fail("%s: key spec of unknown type %s/%s" % (where, begin["type"], find["type"]))
            fields.append(".begin = KeySpec::Begin::%s" % BEGIN[begin["type"]])
            if begin["type"] == "index":
                fields.append(".index = %d" % begin["spec"]["index"])
            elif begin["type"] == "keyword":
                fields.append(".keyword = %s" % self.text(begin["spec"]["keyword"]))
                fields.append(".startfrom = %d" % begin["spec"]["startfrom"])
            fields.append(".find = KeySpec::Find::%s" % FIND[find["type"]])
            if find["type"] == "range":
                fields.append(".lastkey = %d" % find["spec"]["lastkey"])
                fields.append(".keystep = %d" % find["spec"]["keystep"])
                fields.append(".limit = %d" % find["spec"]["limit"])
            elif find["type"] == "keynum":
                fields.append(".keystep = %d" % find["spec"]["keystep"])
                fields.append(".keynumidx = %d" % find["spec"]["keynumidx"])
                fields.append(".firstkey = %d" % find["spec"]["firstkey"])
            items.append("{%s}" % ", ".join(fields))
        return self.slice("KeySpec", items)

    def command(self, name, data):
        check_order(name, list(data), COMMAND_FIELDS)
        check_order(name + " docs", [f for f in data if f in DOC_FIELDS], DOC_FIELDS)
        flags = " ".join(data["flags"] + data.get("hidden_flags", []))
        fields = [".name = %s" % self.text(name), ".arity = %d" % data["arity"],
                  ".flags = CommandFlagsOf(%s)" % literal(flags)]
        if data["acl_categories"]:
            fields.append(".acl_categories = %s" % self.words(data["acl_categories"]))
        if data["tips"]:
            fields.append(".tips = %s" % self.words(data["tips"]))
        if data["key_specs"]:
            fields.append(".key_specs = %s" % self.key_specs(name, data["key_specs"]))
        for field in ("summary", "since", "group", "complexity"):
            if field in data:
                fields.append(".%s = %s" % (field, self.text(data[field])))
        if data.get("doc_flags"):
            fields.append(".doc_flags = %s" % self.words(data["doc_flags"]))
        for field in ("deprecated_since", "replaced_by"):
            if field in data:
                fields.append(".%s = %s" % (field, self.text(data[field])))
        if data.get("history"):
            entries = ["{%s, %s}" % (self.text(version), self.text(text)) for version, text in data["history"]]
            fields.append(".history = %s" % self.slice("HistoryEntry", entries))
        if data.get("arguments"):
            fields.append(".arguments = %s" % self.arguments(name, data["arguments"]))
        return "{%s}" % ", ".join(fields)

    def pool_lines(self):
        """The pool as adjacent literals, about a line per 100 characters."""
        lines, line = [], ""
        for value in self.pool:
            line += value
            if len(line) >= 90:
                lines.append(line)
                line = ""
        if line or not lines:
            lines.append(line)
        return ["    %s" % literal(line) for line in lines]

    def array_lines(self, kind, name):
        records = self.records[kind] or ["{}"]  # an array is never empty
        return (["constexpr %s %s[] = {" % (kind, name)] + ["    %s," % r for r in records] + ["};"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("output")
    parser.add_argument("--legacy-ranges", help="also write COMMAND INFO's ranges, for tests")
    options = parser.parse_args()
    with open(options.data, encoding="utf-8") as f:
        data = json.load(f)
    commands = dict(data["commands"])
    for name, command in data["after_7_0"].items():
        if name in commands:
            fail("%s is both a Redis %s command and in after_7_0" % (name, data["redis_version"]))
        commands[name] = command

    emitter = Emitter()
    # Sorted by length, then name: FindCommandData's order.
    names = sorted(commands, key=lambda name: (len(name), name))
    records = [emitter.command(name, commands[name]) for name in names]
    out = ["// Generated by server/command_data_to_cc.py from server/command_data.json: do not edit.",
           '#include "server/command_data.h"', "",
           "namespace emberkv::server {", "namespace command_data_internal {", "",
           "constexpr char kText[] ="]
    out += emitter.pool_lines()
    out[-1] += ";"
    out += emitter.array_lines("ArgDoc", "kArgDocs")
    out += emitter.array_lines("KeySpec", "kKeySpecs")
    out += emitter.array_lines("HistoryEntry", "kHistory")
    out += ["", "}  // namespace command_data_internal", "namespace {", "",
            "constexpr CommandData kCommands[] = {"]
    out += ["    %s,  // %s" % (record, name) for record, name in zip(records, names)]
    out += ["};", "", "}  // namespace", "",
            "std::span<const CommandData> AllCommandData() { return kCommands; }", "",
            "}  // namespace emberkv::server", ""]
    with open(options.output, "w", encoding="utf-8") as f:
        f.write("\n".join(out))

    if options.legacy_ranges:
        rows = ['    {%s, %d, %d, %d},' % ((literal(name),) + tuple(commands[name]["legacy_range"]))
                for name in sorted(commands)]
        with open(options.legacy_ranges, "w", encoding="utf-8") as f:
            f.write("// Generated by server/command_data_to_cc.py: COMMAND INFO's first key, last key\n"
                    "// and step as Redis reported them.\n")
            f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
