#!/usr/bin/env python3
"""Every ```c block in README.md must be quoted verbatim from the example file linked
just before it (a contiguous excerpt), so the README cannot drift from code CI builds."""
import os
import re
import sys

root = sys.argv[1]
readme = open(os.path.join(root, "README.md"), encoding="utf-8").read()
failures = 0
blocks = 0
for m in re.finditer(r"```c\n(.*?)\n```", readme, re.S):
    blocks += 1
    before = readme[: m.start()]
    links = re.findall(r"\((examples/[\w.-]+\.c)\)", before)
    if not links:
        print(f"block {blocks}: no examples/*.c link before it")
        failures += 1
        continue
    src = open(os.path.join(root, links[-1]), encoding="utf-8").read()
    if m.group(1) not in src:
        print(f"block {blocks}: not a verbatim excerpt of {links[-1]}")
        failures += 1
    else:
        print(f"block {blocks}: quoted from {links[-1]}")
if blocks == 0:
    print("no C blocks found in README.md")
    failures += 1
sys.exit(1 if failures else 0)
