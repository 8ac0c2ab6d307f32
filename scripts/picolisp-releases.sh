#!/usr/bin/env bash
# Fetches the PicoLisp releases CI tests besides Debian 12's 23.2 (installed), from
# Debian's archive, without touching the machine's apt setup, into a cache:
#   <cache>/<YY.M>/src/   the pil21 tree the package ships (usr/lib/picolisp)
#   <cache>/<YY.M>/home/  a copy of it compiled here (bin/picolisp, lib.l, lib/…):
#                         the packaged binary needs a newer glibc than Debian 12's
#   <cache>/<YY.M>/copyright  the package's license text
#   <cache>/arm64/root/   sid's arm64 picolisp and its libraries, for qemu-aarch64 -L
# Each part is built in a scratch folder and renamed into place when complete,
# so a part that exists is whole and a second run fetches nothing.
# Prints each compiled home on stdout (for PIL_HOME); progress goes to stderr.
set -euo pipefail

# The pinned packages: suite and its picolisp version. Sid moves on; to adopt a
# newer release, change its version here (the cache folder is named after it).
declare -A PINNED=([trixie]=25.3-1 [sid]=26.9-1)
SUITES=(trixie sid) # the order they are fetched and their homes printed in
# Where the arm64 interpreter comes from, and the arm64 packages it needs (sid's
# names): the interpreter's and its libraries' NEEDED entries, checked below.
ARM64_SUITE=sid
ARM64_PACKAGES=(picolisp libc6 libgcc-s1 libcrypt1 libffi8 libreadline8t64 libtinfo6
  libncursesw6 libssl3t64 libzstd1 zlib1g)

CACHE=${PIL_RELEASES:-/var/cache/picolisp-lambda-action/releases}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

say() { echo "picolisp-releases: $*" >&2; }
die() {
  say "$*"
  exit 1
}

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
debian_mirror() { "$SCRIPTS/debian-mirror.sh"; }

SCRATCH=
scratch() {
  if [ -z "$SCRATCH" ]; then
    mkdir -p "$CACHE"
    SCRATCH=$(mktemp -d "$CACHE/.partial.XXXXXX")
    trap 'rm -rf "$SCRATCH"' EXIT
  fi
}

# Runs apt-get or apt-cache against one suite, with its own sources list, package
# lists and cache under the scratch folder: the machine's apt state is never used.
apt_in() {
  local tool=$1 suite=$2 dir=$SCRATCH/apt-$2
  shift 2
  local options=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=-
    -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
    -o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
  [ "$suite" != "$ARM64_SUITE" ] || options+=(-o APT::Architectures::=arm64)
  "$tool" -q "${options[@]}" "$@"
}
apt_update() {
  local suite=$1 dir=$SCRATCH/apt-$1
  [ -d "$dir" ] && return
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  echo "deb [signed-by=$KEYRING] $(debian_mirror) $suite main" >"$dir/sources.list"
  say "reading Debian $suite's package lists"
  apt_in apt-get "$suite" update >&2
}

# Fails with one line when the suite's picolisp is not the pinned version: the
# archive keeps only a suite's current package, so the pinned one cannot be had.
check_pinned() {
  local suite=$1 arch=$2 found
  found=$(apt_in apt-cache "$suite" show --no-all-versions "picolisp:$arch" |
    sed -n 's/^Version: //p')
  [ "$found" = "${PINNED[$suite]}" ] ||
    die "Debian $suite's picolisp ($arch) is ${found:-missing}, not the pinned ${PINNED[$suite]}: to adopt it, set [$suite]=${found:-…} in PINNED at the top of scripts/picolisp-releases.sh (its cache folder becomes ${found%%-*})."
}

# Older Makefiles (23.2's) add -opaque-pointers for every LLVM from 15 on, but
# LLVM 17 dropped the flag: name the assembler (the Makefiles' default, opt -O2)
# on make's command line, with the flag only for LLVM 15 and 16, which need it.
make_assembler() {
  local major
  major=$(llvm-config --version | cut -d. -f1)
  if [ "$major" = 15 ] || [ "$major" = 16 ]; then
    echo "ASM=opt -O2 -opaque-pointers"
  else
    echo "ASM=opt -O2"
  fi
}

# Prints what an interpreter reports as its version, e.g. 25.3.29.
pil_version() {
  local home=$1
  shift
  "$@" "$home/lib.l" -'prinl (glue "." (version T))' -bye
}

# <cache>/<YY.M>: the suite's package unpacked, its tree compiled in a copy.
fetch_release() {
  local suite=$1 release=${PINNED[$1]%%-*}
  local target=$CACHE/$release
  if [ -d "$target" ]; then
    say "PicoLisp $release: cached in $target"
    return
  fi
  scratch
  apt_update "$suite"
  check_pinned "$suite" amd64
  local work=$SCRATCH/$release
  mkdir -p "$work/deb"
  (cd "$work/deb" && apt_in apt-get "$suite" download picolisp:amd64 >&2)
  dpkg-deb -x "$work"/deb/picolisp_*.deb "$work/pkg"
  mkdir "$work/out"
  mv "$work/pkg/usr/lib/picolisp" "$work/out/src"
  # doc points into usr/share/doc, outside the tree
  rm -f "$work/out/src/doc"
  cp "$work/pkg/usr/share/doc/picolisp/copyright" "$work/out/copyright"
  compile_home "$work/out"
  local version
  version=$(pil_version "$work/out/home" "$work/out/home/bin/picolisp")
  [[ $version == "$release".* ]] ||
    die "the interpreter compiled from Debian $suite's tree reports $version, expected $release.x"
  mv "$work/out" "$target"
  say "PicoLisp $version: compiled in $target/home"
}

# home/: a copy of src/ (file times kept, so make trusts the shipped .ll files)
# without the files Debian built from it, compiled with clang/LLVM.
compile_home() {
  local out=$1
  cp -a "$out/src" "$out/home"
  rm -f "$out"/home/lib/{ext.so,ht.so,sysdefs} "$out"/home/bin/{balance,httpGate,ssl}
  say "compiling $out/home"
  make -s -C "$out/home/src" "$(make_assembler)" >&2
}

# Every NEEDED library of the ELF files given (paths inside the root), found in
# the root's library folders; fails naming the ones that are not.
check_needed() {
  local root=$1 file lib missing=()
  shift
  for file in "$@"; do
    for lib in $(readelf -d "$root/$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      [ -e "$root/usr/lib/aarch64-linux-gnu/$lib" ] || [ -e "$root/usr/lib/$lib" ] ||
        missing+=("$lib (for $file)")
    done
  done
  [ ${#missing[@]} -eq 0 ] ||
    die "the arm64 root lacks ${missing[*]}: add its package to ARM64_PACKAGES"
}

# <cache>/arm64/root: the arm64 packages unpacked into one root, run under qemu.
fetch_arm64() {
  local target=$CACHE/arm64
  if [ -d "$target" ]; then
    say "arm64 PicoLisp: cached in $target/root"
    return
  fi
  scratch
  apt_update "$ARM64_SUITE"
  check_pinned "$ARM64_SUITE" arm64
  local work=$SCRATCH/arm64
  mkdir -p "$work/deb" "$work/out/root"
  (cd "$work/deb" && apt_in apt-get "$ARM64_SUITE" download "${ARM64_PACKAGES[@]/%/:arm64}" >&2)
  local deb
  for deb in "$work"/deb/*.deb; do dpkg-deb -x "$deb" "$work/out/root"; done
  local root=$work/out/root
  # The loader is looked up as /lib/ld-linux-aarch64.so.1; merged-/usr sid ships usr/lib.
  [ -e "$root/lib" ] || ln -s usr/lib "$root/lib"
  local elf=(usr/bin/picolisp) file
  for file in "$root"/usr/lib/picolisp/lib/*.so "$root"/usr/lib/aarch64-linux-gnu/lib*.so.*; do
    [ -L "$file" ] || elf+=("${file#"$root"/}")
  done
  check_needed "$root" "${elf[@]}"
  local answer
  answer=$(qemu-aarch64-static -L "$root" "$root/usr/bin/picolisp" \
    "$root/usr/lib/picolisp/lib.l" -'prinl (* 6 7)' -bye)
  [ "$answer" = 42 ] || die "arm64 picolisp under qemu printed '$answer', not 42"
  mv "$work/out" "$target"
  say "arm64 PicoLisp $(pil_version "$target/root/usr/lib/picolisp" \
    qemu-aarch64-static -L "$target/root" "$target/root/usr/bin/picolisp"): in $target/root"
}

for suite in "${SUITES[@]}"; do fetch_release "$suite"; done
fetch_arm64
for suite in "${SUITES[@]}"; do echo "$CACHE/${PINNED[$suite]%%-*}/home"; done
