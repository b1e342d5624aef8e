#!/bin/sh
# Every public header (include/sofa/**/*.h) compiles on its own (and twice: include
# guard), warning-free,
# as C11 and as C++11:  check_headers.sh INCLUDE_DIR CC CXX
set -u
inc=$1 cc=$2 cxx=$3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sofa-headers.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0
for h in $(find "$inc/sofa" -name '*.h' | sort); do
  name=${h#"$inc"/sofa/}
  printf '#include "sofa/%s"\n#include "sofa/%s"\nint sofa_header_check_%s;\n' \
    "$name" "$name" "$(echo "$name" | tr -c 'a-zA-Z0-9\n' _)" >"$tmp/t.c"
  cp "$tmp/t.c" "$tmp/t.cpp"
  if ! "$cc" -std=c11 -Wall -Wextra -pedantic -Werror -Wstrict-prototypes \
       -I"$inc" -c "$tmp/t.c" -o "$tmp/t.o"; then
    echo "FAIL (C11): $name"; fail=1
  fi
  if ! "$cxx" -std=c++11 -Wall -Wextra -pedantic -Werror \
       -I"$inc" -c "$tmp/t.cpp" -o "$tmp/t.o"; then
    echo "FAIL (C++11): $name"; fail=1
  fi
  # C linkage: a header that declares functions must wrap them in extern "C".
  if grep -q 'SOFA_API' "$h" && [ "$name" != visibility.h ] && ! grep -q 'extern "C"' "$h"; then
    echo "FAIL (no extern \"C\"): $name"; fail=1
  fi
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "no headers found in $inc/sofa"; exit 1; }
echo "$n headers checked as C11 and C++11"
exit $fail
