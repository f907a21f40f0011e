# Sourced by scripts/windows-provider: Debian's Wine 8, unpacked into the
# project (.tools/wine/) by scripts/lib/debian.sh rather than installed, to
# run the Windows build of the provider on this Linux machine.
#
#   ensure_wine   installs on first use (needs scripts/lib/cross.sh's
#                 ensure_cross_toolchain first: zig builds the shim below);
#                 sets WINE64 (the loader), WINE_SERVER and WINE_PREFIX (a
#                 prefix made ready for console programs)
#
# Three things the packages expect from a real install, done by hand here:
# - Debian's `wineserver` is a script that looks for /usr/lib/wine/
#   wineserver64; the loader runs the `wineserver` beside itself, so that
#   name is made a link to wineserver64.
# - Wine's user32.dll (which crypt32.dll, and so the provider, loads) needs
#   zlib1.dll, which Debian's libz-mingw-w64 puts under
#   /usr/x86_64-w64-mingw32; it is copied into the prefix's system32.
# - Rust's standard library on Windows (since Rust 1.78) takes its random
#   numbers from bcryptprimitives.dll's ProcessPrng, which every Windows
#   since 10 has and Wine 8 does not: scripts/lib/bcryptprimitives.c, built
#   with zig into the prefix's system32, gives it from RtlGenRandom. Wine 9
#   and later have their own.

WINE_DEBIAN_PACKAGES=(wine64 libwine libz-mingw-w64)

. "$(dirname "${BASH_SOURCE[0]}")/debian.sh"

_wine_dir() {
  echo "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.tools/wine"
}

ensure_wine() {
  local dir
  dir=$(_wine_dir)
  local lib="$dir/root/usr/lib/wine"
  if [ ! -x "$lib/wine64" ]; then
    echo "== Installing Debian's Wine into $dir/root" >&2
    rm -rf "$dir"
    debian_unpack "$dir/root.tmp" "${WINE_DEBIAN_PACKAGES[@]}" || return 1
    ln -sf wineserver64 "$dir/root.tmp/usr/lib/wine/wineserver"
    mv "$dir/root.tmp" "$dir/root"
  fi
  WINE64="$lib/wine64"
  WINE_SERVER="$lib/wineserver64"
  WINE_PREFIX="$dir/prefix"
  local system32="$WINE_PREFIX/drive_c/windows/system32"
  local shim="$system32/bcryptprimitives.dll"
  if [ ! -e "$shim" ] || [ ! -e "$system32/zlib1.dll" ]; then
    echo "== Making the Wine prefix $WINE_PREFIX" >&2
    rm -rf "$WINE_PREFIX"
    # user32.dll needs zlib1.dll while wineboot makes the prefix: put it
    # in place first, or the prefix is left half made.
    mkdir -p "$system32"
    cp "$dir/root/usr/x86_64-w64-mingw32/lib/zlib1.dll" "$system32/"
    # No Mono or Gecko (their installers would ask on a display there is
    # not); wineboot makes the prefix and exits.
    WINEPREFIX="$WINE_PREFIX" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=d" \
      "$WINE64" wineboot --init >/dev/null 2>&1 || true
    WINEPREFIX="$WINE_PREFIX" "$WINE_SERVER" --wait 2>/dev/null || true
    [ -f "$WINE_PREFIX/system.reg" ] && [ -e "$system32/kernel32.dll" ] || {
      echo "error: wineboot did not make the Wine prefix $WINE_PREFIX" >&2
      return 1
    }
    ZIG_GLOBAL_CACHE_DIR="$CROSS_CACHE_DIR/zig" "$CROSS_ZIG" cc -target x86_64-windows-gnu -shared -O2 -o "$shim.tmp" \
      "$(dirname "${BASH_SOURCE[0]}")/bcryptprimitives.c" -ladvapi32 >&2 || return 1
    mv "$shim.tmp" "$shim"
  fi
}
