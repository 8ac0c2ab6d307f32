#!/usr/bin/env bash
# Prints the Debian mirror this machine's apt uses (deb.debian.org when none is
# found), for the scripts that fetch from Debian's archive beside apt's own setup.
set -euo pipefail
uri=$(sed -n -e 's|^URIs: *\(http[^ ]*/debian\)/\?$|\1|p' \
  -e 's|^deb \(\[[^]]*\] \)\?\(http[^ ]*/debian\)/\? .*|\2|p' \
  /etc/apt/sources.list /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1 || true)
echo "${uri:-http://deb.debian.org/debian}"
