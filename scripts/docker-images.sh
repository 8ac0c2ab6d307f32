#!/usr/bin/env bash
# Makes Docker usable for the Docker builder's tests on this machine, which can
# pull no image: starts dockerd when none answers, then prepares two local images
# that stand in for a builder base (docker/Dockerfile's BASE):
#   bookworm  Debian 12 (glibc 2.36, LLVM 14) with pil21's build packages
#   trixie    Debian 13 (glibc 2.41, LLVM 19): what a newer runner looks like
# Each is debootstrap's minbase with the packages included (nothing is fetched
# inside a container), tarred into the cache and `docker import`ed. The image tag
# and the tarball carry a hash of the recipe: a changed recipe makes a new image,
# an unchanged one is reused, so only the first run on a machine takes minutes.
# Prints "<suite> <image>" per image on stdout; progress goes to stderr.
# Exit status 3: dockerd is not there or cannot start (the reason on stderr),
# which the tests report as their reason to skip.
# Needs root (dockerd, debootstrap).
set -euo pipefail

CACHE=${DOCKER_IMAGES_CACHE:-/var/cache/picolisp-lambda-action/docker}
REPOSITORY=picolisp-lambda-action-test/debian
SUITES=(bookworm trixie)
# pil21's build tools and headers, and binutils' readelf, which the builder runs
# inside the container to read the glibc's symbol versions.
PACKAGES=(clang llvm libffi-dev libreadline-dev libssl-dev pkg-config make gcc libc6-dev binutils)
DOCKERD_LOG=/var/log/picolisp-lambda-action-dockerd.log

say() { echo "docker-images: $*" >&2; }
die() {
  say "$*"
  exit 1
}

SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
debian_mirror() { "$SCRIPTS/debian-mirror.sh"; }

# --- dockerd -----------------------------------------------------------------

daemon_answers() { docker info >/dev/null 2>&1; }

# Waits up to 30 s for the daemon started as process $1; false when it died or never answered.
wait_for_daemon() {
  local pid=$1 i
  for i in $(seq 60); do
    daemon_answers && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}

# No iptables rules and no bridge: this sandbox may have neither, and builds run
# with --network none. The storage driver is dockerd's choice (overlay2), and vfs,
# which works on any filesystem, when that one does not start.
start_daemon() {
  local driver pid
  for driver in "" vfs; do
    say "starting dockerd${driver:+ with storage driver $driver} (log: $DOCKERD_LOG)"
    setsid dockerd --iptables=false --ip-masq=false --bridge=none \
      ${driver:+--storage-driver=$driver} >>"$DOCKERD_LOG" 2>&1 </dev/null &
    pid=$!
    wait_for_daemon "$pid" && return 0
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  say "dockerd did not start; the end of $DOCKERD_LOG:"
  tail -n 15 "$DOCKERD_LOG" >&2
  exit 3
}

ensure_daemon() {
  command -v docker >/dev/null || {
    say "no docker client: install Debian's docker.io"
    exit 3
  }
  daemon_answers && return
  command -v dockerd >/dev/null || {
    say "no docker daemon answers and there is no dockerd: install Debian's docker.io"
    exit 3
  }
  [ "$(id -u)" = 0 ] || {
    say "no docker daemon answers, and starting dockerd needs root"
    exit 3
  }
  start_daemon
}

# --- images ------------------------------------------------------------------

# Everything that decides an image's content; its hash names the image and tarball.
recipe() {
  echo "debootstrap --variant=minbase $1 $(debian_mirror) ${PACKAGES[*]}"
}
recipe_hash() { recipe "$1" | sha256sum | cut -c1-12; }

# <cache>/<suite>-<hash>.tar: the root filesystem, built in a scratch folder and
# renamed into place, so a tarball that exists is whole.
ensure_rootfs() {
  local suite=$1 tarball=$2
  [ -f "$tarball" ] && return
  command -v debootstrap >/dev/null || die "debootstrap is missing: apt-get install debootstrap"
  mkdir -p "$CACHE"
  local scratch
  scratch=$(mktemp -d "$CACHE/.partial.XXXXXX")
  trap 'rm -rf "$scratch"' EXIT
  local packages
  packages=$(
    IFS=,
    echo "${PACKAGES[*]}"
  )
  say "debootstrap $suite with $packages (minutes)"
  debootstrap --variant=minbase --include="$packages" "$suite" "$scratch/root" \
    "$(debian_mirror)" >&2
  # apt's downloaded packages and lists are of no use in the image.
  rm -rf "$scratch"/root/var/cache/apt/archives/*.deb "$scratch"/root/var/lib/apt/lists/*
  tar --numeric-owner -C "$scratch/root" -cf "$scratch/rootfs.tar" .
  mv "$scratch/rootfs.tar" "$tarball"
  rm -rf "$scratch"
  trap - EXIT
}

ensure_image() {
  local suite=$1 hash image
  hash=$(recipe_hash "$suite")
  image=$REPOSITORY:$suite-$hash
  if docker image inspect "$image" >/dev/null 2>&1; then
    say "$image: present"
  else
    local tarball=$CACHE/$suite-$hash.tar
    ensure_rootfs "$suite" "$tarball"
    say "importing $tarball as $image"
    docker import --change 'CMD ["/bin/bash"]' "$tarball" "$image" >/dev/null
  fi
  echo "$suite $image"
}

ensure_daemon
for suite in "${SUITES[@]}"; do ensure_image "$suite"; done
