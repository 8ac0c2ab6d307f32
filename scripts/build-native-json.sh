#!/usr/bin/env bash
# Builds the runtime's native library (runtime/native/: the JSON codec and
# HTTP helpers, in pil21's LLVM dialect) into a shared library for one pil21
# tree, as the tree's own src/Makefile builds lib/ht.so from src/ht.l:
#   picolisp lib.l lib/llvm.l lambdajson.l -bye > json.ll; opt; llc; cc -shared
# The library is only valid for the interpreter of that tree (it includes the
# tree's src/glob.l and src/dec.l): build it with the interpreter being packaged.
#
#   scripts/build-native-json.sh <pil21-home> <out.so> [picolisp-binary]
#
# <pil21-home> holds lib.l and src/ (the tree); the binary defaults to
# <pil21-home>/bin/picolisp. Needs clang, llc and opt (as pil21's Makefile;
# see ASM, LLC, CC below).
# The runtime loads it as @lib/lambdajson.so (see runtime/json-native.l).
set -euo pipefail

die() {
  echo "build-native-json: $*" >&2
  exit 1
}

[ $# -ge 2 ] || die "usage: $0 <pil21-home> <out.so> [picolisp-binary]"
HOME_DIR=$(cd "$1" && pwd) || die "no pil21 home at $1"
OUT=$2
PIL=${3:-$HOME_DIR/bin/picolisp}
NATIVE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../runtime/native" && pwd)

[ -f "$HOME_DIR/lib.l" ] || die "$HOME_DIR has no lib.l"
[ -f "$HOME_DIR/src/lib/llvm.l" ] || die "$HOME_DIR has no src/lib/llvm.l (the pil21 source tree)"
[ -x "$PIL" ] || die "no interpreter at $PIL"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# One module of the library's files in order, json.l beginning it and http.l
# ending it, as src/build/native-codec.ts's NATIVE_SOURCES
SRC=$WORK/lambdajson.l
cat "$NATIVE/json.l" "$NATIVE/http.l" >"$SRC"

# The tools, as src/Makefile names them; the action passes its own toolchain
# (the one it built the interpreter with) through the environment:
#   ASM="opt-18 -O3"  LLC=llc-18  CC=clang-18  STRIP=strip
# Without ASM: opt -O3, with -opaque-pointers on LLVM 15 and 16 (for the
# typed-pointer IR pil21 writes), as pil21 26.x's Makefile does.
if [ -n "${ASM:-}" ]; then
  read -r -a OPT <<<"$ASM"
else
  OPT=(opt -O3)
  LLVM=$(llvm-config --version 2>/dev/null | cut -d. -f1 || true)
  if [ -n "$LLVM" ] && [ "$LLVM" -ge 15 ] && [ "$LLVM" -lt 17 ]; then
    OPT+=(-opaque-pointers)
  fi
fi
LLC=${LLC:-llc}
CC=${CC:-clang}
STRIP=${STRIP:-strip}

# As the tree's ../pil script starts the interpreter (it is not in every home);
# the dialect's 'begin' reads vers.l, defs.l, glob.l and dec.l from the cwd.
(cd "$HOME_DIR/src" && "$PIL" "$HOME_DIR/lib.l" @lib/net.l @lib/misc.l @lib/btree.l @lib/db.l \
  @lib/pilog.l lib/llvm.l "$SRC" -bye) >"$WORK/json.ll" ||
  die "compiling $NATIVE/json.l and http.l to LLVM IR failed"
"${OPT[@]}" -o "$WORK/json.bc" "$WORK/json.ll"
$LLC "$WORK/json.bc" -relocation-model=pic -o "$WORK/json.s"
mkdir -p "$(dirname "$OUT")"
$CC "$WORK/json.s" -o "$WORK/json.so" -shared
$STRIP "$WORK/json.so"
mv "$WORK/json.so" "$OUT"
