#!/usr/bin/env bash
# Fetch lwIP's source with `apt-get source lwip` (Debian's own source package, the one
# liblwip-dev was built from) into DEST, without touching the system's apt configuration:
# a private deb-src entry and private lists under DEST/apt. The mirror URI is read at run
# time from the machine's own apt sources (deb822 debian.sources or sources.list), so
# nothing here names a registry. Prints one line "lwip-source: <dir>" on success.
#   scripts/lwip-source.sh DEST
# Exit status: 0 fetched (or already there); 1 cannot fetch (no URI, no network...).
set -euo pipefail
dest="${1:?usage: lwip-source.sh DEST}"
mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"
have() { ls -d "$dest"/lwip-*/src/core 2>/dev/null | head -n1; }
if d="$(have)" && [ -n "$d" ]; then
  echo "lwip-source: $(dirname "$(dirname "$d")") (already fetched)"
  exit 0
fi
command -v apt-get >/dev/null && command -v dpkg-source >/dev/null || {
  echo "lwip-source: needs apt-get and dpkg-source (Debian's dpkg-dev)" >&2; exit 1; }

# The mirror and suite of the machine's first Debian "main" source (deb822 first).
uri="" suite=""
for f in /etc/apt/sources.list.d/*.sources; do
  [ -r "$f" ] || continue
  uri=$(awk 'BEGIN{IGNORECASE=1} /^URIs:/{print $2; exit}' "$f")
  suite=$(awk 'BEGIN{IGNORECASE=1} /^Suites:/{print $2; exit}' "$f")
  [ -n "$uri" ] && break
done
if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
  read -r uri suite < <(awk '$1=="deb" {i=2; if ($2 ~ /^\[/) {while ($i !~ /\]$/) i++; i++} print $i, $(i+1); exit}' \
                        /etc/apt/sources.list) || true
fi
if [ -z "$uri" ] || [ -z "$suite" ]; then
  echo "lwip-source: no Debian mirror found in /etc/apt/sources.list(.d)" >&2; exit 1
fi
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
state="$dest/apt"
mkdir -p "$state/sources" "$state/lists/partial" "$state/cache/archives/partial"
{
  echo "Types: deb-src"
  echo "URIs: $uri"
  echo "Suites: $suite"
  echo "Components: main"
  [ -r "$keyring" ] && echo "Signed-By: $keyring"
} > "$state/sources/lwip-src.sources"
aptopts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$state/sources"
         -o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache"
         -o Dir::State::status=/var/lib/dpkg/status -o APT::Sandbox::User=root
         -o Acquire::Retries=2 -o Acquire::http::Timeout=30 -q=2)
echo "lwip-source: apt-get source lwip from $uri $suite (private lists in $state)" >&2
apt-get "${aptopts[@]}" update >&2
(cd "$dest" && apt-get "${aptopts[@]}" source lwip >&2)
d="$(have)"
[ -n "$d" ] || { echo "lwip-source: apt-get source lwip gave no lwip-*/src" >&2; exit 1; }
top="$(dirname "$(dirname "$d")")"
echo "lwip-source: $top ($(ls "$dest"/lwip_*.dsc 2>/dev/null | xargs -n1 basename | head -n1) from $uri $suite)"
