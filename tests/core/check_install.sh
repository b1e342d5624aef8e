#!/bin/sh
# Install sofa into a temporary prefix, then build and run a small program against
# it twice: with `pkg-config --cflags --libs sofa` and with find_package(sofa).
#   check_install.sh BUILD_DIR SOURCE_DIR CC CMAKE GENERATOR [EXTRA_CFLAGS]
set -eu
build=$1 src=$2 cc=$3 cmake=$4 gen=$5 extra=${6:-}
smoke=$src/tests/core/install_smoke
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sofa-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

step() { echo "== $*"; }

step "cmake --install into $prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$tmp/install.log"

lib=$(find "$prefix" -name 'libsofa.so.0' | head -n 1)
[ -n "$lib" ] || { echo "libsofa.so.0 not installed"; cat "$tmp/install.log"; exit 1; }
libdir=$(dirname "$lib")
step "SONAME of $lib"
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
[ "$soname" = "libsofa.so.0" ] || { echo "SONAME is '$soname', want libsofa.so.0"; exit 1; }
[ -L "$libdir/libsofa.so" ] || { echo "no libsofa.so development link"; exit 1; }
[ -f "$libdir/libsofa.a" ] || { echo "no libsofa.a"; exit 1; }
[ -f "$prefix/include/sofa/sofa.h" ] || { echo "no include/sofa/sofa.h"; exit 1; }

# Run a program and make sure it loaded the installed library, not the build tree's.
run() {
  out=$(env -u LD_LIBRARY_PATH "$1") || { echo "$1 failed: $out"; exit 1; }
  echo "$out"
  if [ "${2:-}" = shared ]; then
    env -u LD_LIBRARY_PATH ldd "$1" | grep -q "$libdir/libsofa.so.0" ||
      { echo "$1 does not use $libdir/libsofa.so.0:"; ldd "$1"; exit 1; }
  fi
}

step "pkg-config --cflags --libs sofa"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
flags=$(pkg-config --cflags --libs sofa)
echo "$flags"
# shellcheck disable=SC2086
"$cc" -std=c11 -Wall -Wextra -Werror $extra "$smoke/hello.c" -o "$tmp/hello_pc" $flags \
  -Wl,-rpath,"$libdir"
run "$tmp/hello_pc" shared

step "every installed .pc file is valid and points into the prefix"
real_prefix=$(cd "$prefix" && pwd -P)
for pc in "$libdir"/pkgconfig/*.pc; do
  pkg-config --validate "$pc" || { echo "invalid: $pc"; exit 1; }
  pc_libdir=$(pkg-config --variable=libdir "$pc")
  pc_libdir=$(cd "$pc_libdir" 2>/dev/null && pwd -P) || pc_libdir="(missing)"
  case "$pc_libdir" in
    "$real_prefix"/*) ;;
    *) echo "$(basename "$pc"): libdir $pc_libdir is outside $real_prefix (not relocatable)"
       exit 1 ;;
  esac
  echo "$(basename "$pc"): $(pkg-config --libs "$pc")"
done

if [ -f "$libdir/pkgconfig/sofa_libevent.pc" ]; then
  step "pkg-config --cflags --libs sofa_libevent libevent_core"
  flags=$(pkg-config --cflags --libs sofa_libevent libevent_core)
  # shellcheck disable=SC2086
  "$cc" -std=c11 -Wall -Wextra -Werror $extra "$smoke/plugin_hello.c" -o "$tmp/plugin_pc" \
    $flags -Wl,-rpath,"$libdir"
  run "$tmp/plugin_pc" shared
fi

step "find_package(sofa) with sofa::sofa and sofa::sofa_static"
"$cmake" -S "$smoke" -B "$tmp/smoke" -G "$gen" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" \
  >"$tmp/configure.log" 2>&1 || { cat "$tmp/configure.log"; exit 1; }
"$cmake" --build "$tmp/smoke" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
run "$tmp/smoke/hello_shared" shared
run "$tmp/smoke/hello_static"
if [ -f "$libdir/pkgconfig/sofa_libevent.pc" ]; then
  run "$tmp/smoke/plugin_hello" shared
fi
if ldd "$tmp/smoke/hello_static" | grep -q libsofa; then
  echo "hello_static is linked to a shared libsofa"; exit 1
fi
step "ok"
