#!/usr/bin/env python3
"""Compare the dynamic symbols libsofa.so exports with the SOFA_API declarations.

usage: check_exports.py [--entry SYMBOL]... LIBRARY HEADER_DIR_OR_FILE...

Every *.h under each HEADER_DIR (except plugins/), and each header FILE given, is read; each declaration that starts with SOFA_API
names one exported function (the identifier before its parameter list) or variable.
The test fails when the library exports a symbol no header declares with SOFA_API, or
a header declares one the library does not export. --entry names a symbol that must be
exported without a header declaration (a plugin's loader entry point, which the
loader finds by name: SOFA_IOPS_ENTRY_SYMBOL). Nothing is hard-coded: new APIs are
picked up from the headers as they are added.
"""
import os
import re
import subprocess
import sys

# Symbols the linker itself may add to a shared object.
LINKER_SYMBOLS = {"_init", "_fini", "_edata", "_end", "__bss_start"}
# Section bounds the linker adds for sanitizer coverage (-fsanitize=fuzzer-no-link).
LINKER_PREFIXES = ("__start___sancov_", "__stop___sancov_")


def strip_c(text):
    """Remove comments and preprocessor lines (with their continuations)."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"\\\n", " ", text)
    return "\n".join(l for l in text.split("\n") if not l.lstrip().startswith("#"))


def read_decls(path, names):
    with open(path, encoding="utf-8") as fh:
        text = strip_c(fh.read())
    for m in re.finditer(r"\bSOFA_API\b([^;{]*)", text):
        decl = m.group(1)
        paren = decl.find("(")
        head = decl if paren < 0 else decl[:paren]
        ids = re.findall(r"[A-Za-z_]\w*", head)
        if not ids:
            sys.exit(f"{path}: cannot read the SOFA_API declaration '{decl.strip()}'")
        names[ids[-1]] = path


def declared(paths):
    names = {}
    for d in paths:
        if os.path.isfile(d):
            read_decls(d, names)
            continue
        for root, dirs, files in os.walk(d):
            # include/sofa/plugins/*.h declare the plugin libraries' API, not libsofa's.
            dirs[:] = [x for x in dirs if x != "plugins"]
            for f in sorted(files):
                if f.endswith(".h"):
                    read_decls(os.path.join(root, f), names)
    return names


def exported(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    syms = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        kind, name = parts[-2], parts[-1].split("@")[0]
        if kind in ("A", "a") or name in LINKER_SYMBOLS or name.startswith(LINKER_PREFIXES):
            continue
        syms.add(name)
    return syms


def main():
    args = sys.argv[1:]
    entries = set()
    while len(args) >= 2 and args[0] == "--entry":
        entries.add(args[1])
        args = args[2:]
    if len(args) < 2 and not (len(args) == 1 and entries):
        sys.exit(__doc__)
    decl = declared(args[1:])
    exp = exported(args[0])
    if not decl and not entries:
        sys.exit("no SOFA_API declarations found: wrong header directory?")
    wanted = set(decl) | entries
    undeclared = sorted(exp - wanted)
    missing = sorted(wanted - exp)
    for s in undeclared:
        print(f"exported but not declared with SOFA_API: {s}")
    for s in missing:
        where = decl.get(s, "--entry")
        print(f"declared with SOFA_API in {where} but not exported: {s}")
    print(f"{args[0]}: {len(decl)} declared, {len(entries)} entry, {len(exp)} exported")
    return 1 if undeclared or missing else 0


if __name__ == "__main__":
    sys.exit(main())
