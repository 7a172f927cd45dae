#!/usr/bin/env python3
"""Prints, unchanged, the fenced code block that follows a marker comment in a Markdown file.

    doc_block.py DOC NAME

The marker is the line `<!-- checked: NAME -->`; the block is the first ``` fence after it (blank
lines may sit between them). Exits 1 with a message naming DOC and NAME when the marker is
missing, appears twice, or is not followed by a fenced block, so a renamed or deleted example
fails the check instead of being skipped.
"""
import re
import sys


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: doc_block.py DOC NAME")
    doc, name = argv[1], argv[2]
    with open(doc, encoding="utf-8") as f:
        lines = f.read().split("\n")
    marker = f"<!-- checked: {name} -->"
    at = [i for i, line in enumerate(lines) if line.strip() == marker]
    if len(at) != 1:
        sys.exit(f"doc_block: {doc}: expected one line '{marker}', found {len(at)}")
    i = at[0] + 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    fence = re.match(r"^(```+)\s*[\w-]*\s*$", lines[i]) if i < len(lines) else None
    if not fence:
        sys.exit(f"doc_block: {doc}: '{marker}' is not followed by a ``` fenced block")
    body = []
    for line in lines[i + 1 :]:
        if line.strip() == fence.group(1):
            sys.stdout.write("".join(b + "\n" for b in body))
            return
        body.append(line)
    sys.exit(f"doc_block: {doc}: the block after '{marker}' is never closed")


if __name__ == "__main__":
    main(sys.argv)
