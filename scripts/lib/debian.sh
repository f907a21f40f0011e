# Sourced by scripts/lib/cross.sh and scripts/lib/wine.sh: Debian packages
# fetched into the project and unpacked with `dpkg -x`, never installed.
#
# apt reads package lists of its own, in .tools/apt/, fetched on first use
# and again when a day old: the machine's lists may be months old and name
# versions the mirror no longer has (apt-get download then fails), and
# refreshing them would change the machine outside the project.
#
#   debian_lists                 fetches the project's lists unless fresh
#   debian_apt TOOL ARGS...      apt-get or apt-cache with the project's lists
#   debian_unpack DEST PKG...    downloads PKGs and unpacks them all into DEST

# Found once, while the path this file was sourced by is still valid.
DEBIAN_APT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.tools/apt"

debian_apt() {
  local tool=$1
  shift
  "$tool" -o Dir::State::Lists="$DEBIAN_APT_DIR/lists" -o Dir::Cache="$DEBIAN_APT_DIR/cache" "$@"
}

debian_lists() {
  command -v apt-get >/dev/null || {
    echo "error: this needs Debian's packages, fetched with apt-get" >&2
    return 1
  }
  local dir=$DEBIAN_APT_DIR
  [ -z "$(find "$dir/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -n 1)" ] || return 0
  mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
  debian_apt apt-get update -qq >&2
}

debian_unpack() {
  local dest=$1
  shift
  debian_lists || return 1
  local debs="$dest.debs"
  rm -rf "$debs"
  mkdir -p "$debs" "$dest" || return 1
  (cd "$debs" && debian_apt apt-get download "$@" >&2) || { rm -rf "$debs"; return 1; }
  local deb
  for deb in "$debs"/*.deb; do
    dpkg -x "$deb" "$dest" || { rm -rf "$debs"; return 1; }
  done
  rm -rf "$debs"
}
