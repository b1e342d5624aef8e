#!/bin/sh
# Usage: check_needed.sh LIBSOFA [PLUGIN LIB-PATTERN]...
# Fails if libsofa needs libevent or libev, or if a plugin does not need its loop library.
set -u
fail=0
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
sofa="$1"; shift
[ -f "$sofa" ] || { echo "missing $sofa"; exit 1; }
if needed "$sofa" | grep -E '^libev(ent)?[-_.]' ; then
    echo "FAIL: $sofa links an event-loop library (above)"; fail=1
else
    echo "ok: $(basename "$sofa") needs: $(needed "$sofa" | tr '\n' ' ')"
fi
while [ $# -ge 2 ]; do
    lib="$1"; pat="$2"; shift 2
    if needed "$lib" | grep -qE "$pat"; then
        echo "ok: $(basename "$lib") needs: $(needed "$lib" | tr '\n' ' ')"
    else
        echo "FAIL: $lib does not need $pat"; fail=1
    fi
done
exit $fail
