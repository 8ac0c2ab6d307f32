#!/bin/sh
# Runs once while the builder image is built: makes sure it has what compiling
# pil21 needs. A base that has it all already (a prepared image of one's own, the
# tests' Debian images) is used as it is; an Amazon Linux 2023 base gets the
# packages from its own repositories with dnf (microdnf on minimal images).
set -eu

PACKAGES="clang llvm libffi-devel readline-devel openssl-devel make gcc glibc-devel pkgconf-pkg-config binutils"

# Prints what is missing, one per line: the tools make calls by these names (the
# action gives make the LLVM version, so llvm-config is not needed) and the headers.
missing() {
  for tool in make clang opt llc llvm-link pkg-config readelf strip; do
    command -v "$tool" >/dev/null 2>&1 || echo "$tool"
  done
  pkg-config --exists libffi 2>/dev/null || echo "libffi (pkg-config module)"
  for header in readline/readline.h openssl/ssl.h; do
    [ -e "/usr/include/$header" ] || echo "$header"
  done
}

lacking=$(missing)
if [ -z "$lacking" ]; then
  echo "install-build-tools: the base has every build tool, nothing to install"
  exit 0
fi
if command -v dnf >/dev/null 2>&1; then
  dnf install -y $PACKAGES
  dnf clean all
elif command -v microdnf >/dev/null 2>&1; then
  microdnf install -y $PACKAGES
  microdnf clean all
else
  echo "install-build-tools: the base image lacks:" $lacking >&2
  echo "install-build-tools: and has no dnf to install them. Use an Amazon Linux 2023 base, or one with these tools preinstalled." >&2
  exit 1
fi
lacking=$(missing)
if [ -n "$lacking" ]; then
  echo "install-build-tools: still missing after installing $PACKAGES:" $lacking >&2
  exit 1
fi
