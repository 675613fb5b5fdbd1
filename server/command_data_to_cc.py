#!/usr/bin/python3
"""Turns server/command_data.json into the constant C++ records of
server/command_data.h. Run by the build (server/CMakeLists.txt):

    command_data_to_cc.py command_data.json out.cc [--legacy-ranges ranges.inc]

out.cc defines AllCommandData(): one CommandData per command, sorted by
name, whose arguments, key specs and history are constexpr arrays, so that
the server builds nothing at start-up. ranges.inc (for the unit tests) lists
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


def words(items):
    return literal(" ".join(items))


class Emitter:
    """Writes the constexpr arrays a record refers to, each before its first use."""

    def __init__(self):
        self.lines = []
        self.names = {}  # (kind, items) -> the array's name: equal arrays are written once

    def array(self, kind, items):
        key = (kind, tuple(items))
        if key not in self.names:
            self.names[key] = "k%s%d" % (kind, len(self.names) + 1)
            self.lines.append("constexpr %s %s[] = {" % (kind, self.names[key]))
            self.lines.extend("    %s," % item for item in items)
            self.lines.append("};")
        return self.names[key]

    def arguments(self, where, args):
        items = []
        for arg in args:
            check_order(where + " argument", list(arg), ARG_FIELDS)
            fields = [".name = %s" % literal(arg["name"]), ".type = %s" % literal(arg["type"])]
            if "key_spec_index" in arg:
                fields.append(".key_spec_index = %d" % arg["key_spec_index"])
            for field in ("token", "summary", "since", "deprecated_since"):
                if field in arg:
                    fields.append(".%s = %s" % (field, literal(arg[field])))
            if arg.get("flags"):
                fields.append(".flags = %s" % words(arg["flags"]))
            if "arguments" in arg:
                fields.append(".arguments = %s" % self.arguments(where, arg["arguments"]))
            items.append("{%s}" % ", ".join(fields))
        return self.array("ArgDoc", items)

    def key_specs(self, where, specs):
        items = []
        for spec in specs:
            check_order(where + " key spec", list(spec), KEY_SPEC_FIELDS)
            fields = []
            if "notes" in spec:
                fields.append(".notes = %s" % literal(spec["notes"]))
            fields.append(".flags = KeySpecFlagsOf(%s)" % words(spec["flags"]))
            begin, find = spec["begin_search"], spec["find_keys"]
            if begin["type"] not in BEGIN or find["type"] not in FIND:
                fail("%s: key spec of unknown type %s/%s" % (where, begin["type"], find["type"]))
            fields.append(".begin = KeySpec::Begin::%s" % BEGIN[begin["type"]])
            if begin["type"] == "index":
                fields.append(".index = %d" % begin["spec"]["index"])
            elif begin["type"] == "keyword":
                fields.append(".keyword = %s" % literal(begin["spec"]["keyword"]))
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
        return self.array("KeySpec", items)

    def command(self, name, data):
        check_order(name, list(data), COMMAND_FIELDS)
        check_order(name + " docs", [f for f in data if f in DOC_FIELDS], DOC_FIELDS)
        fields = [".name = %s" % literal(name), ".arity = %d" % data["arity"],
                  ".flags = CommandFlagsOf(%s)" % words(data["flags"] + data.get("hidden_flags", []))]
        if data["acl_categories"]:
            fields.append(".acl_categories = %s" % words(data["acl_categories"]))
        if data["tips"]:
            fields.append(".tips = %s" % words(data["tips"]))
        if data["key_specs"]:
            fields.append(".key_specs = %s" % self.key_specs(name, data["key_specs"]))
        for field in ("summary", "since", "group", "complexity"):
            if field in data:
                fields.append(".%s = %s" % (field, literal(data[field])))
        if data.get("doc_flags"):
            fields.append(".doc_flags = %s" % words(data["doc_flags"]))
        for field in ("deprecated_since", "replaced_by"):
            if field in data:
                fields.append(".%s = %s" % (field, literal(data[field])))
        if data.get("history"):
            entries = ["{%s, %s}" % (literal(version), literal(text)) for version, text in data["history"]]
            fields.append(".history = %s" % self.array("HistoryEntry", entries))
        if data.get("arguments"):
            fields.append(".arguments = %s" % self.arguments(name, data["arguments"]))
        return "{%s}" % ", ".join(fields)


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
           "namespace emberkv::server {", "namespace {", ""]
    out += emitter.lines
    out += ["", "constexpr CommandData kCommands[] = {"]
    out += ["    %s," % record for record in records]
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
