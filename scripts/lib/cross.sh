# Sourced by scripts/package: a toolchain that builds the provider for
# every platform Terraform runs on, from this Linux amd64 machine, installed
# inside the project (.tools/cross/) and never put on PATH.
#
# - Rust: rustup's toolchain here has the standard library for the host
#   alone and cannot download others. Debian's rustc-web (and its LLVM,
#   which has every target) with rust-web-src (the standard library's
#   source, same version) builds std for any target with cargo's
#   -Zbuild-std; the packages are extracted with `dpkg -x`, not installed.
#   RUSTC_BOOTSTRAP=1 lets the stable cargo take -Z flags. Packages come
#   through scripts/lib/debian.sh (the project's own apt lists).
# - Linking: zig (the ziglang package on PyPI) links linux-gnu, macOS
#   (with its own libSystem stubs) and windows-gnu; cargo-zigbuild (PyPI)
#   runs cargo with zig as the linker. Both in a virtual environment.
#
#   ensure_cross_toolchain   installs on first use; sets CROSS_RUSTC (a
#                            wrapper that finds Debian's libLLVM),
#                            CROSS_ZIGBUILD, CROSS_ZIG and CROSS_LINK_DIR
#   cross_build TRIPLE       cargo-zigbuild's release build of the provider
#                            for TRIPLE (CROSS_PROFILE=dev: a debug build);
#                            prints the binary's path

CROSS_PYPI_PINS=(ziglang==0.17.1 cargo-zigbuild==0.24.1)

. "$(dirname "${BASH_SOURCE[0]}")/debian.sh"

_cross_dir() {
  echo "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.tools/cross"
}

# The llvm-objcopy of the LLVM that Debian's rustc was built with (rustc
# runs it, as rust-objcopy, to strip macOS binaries), if unpacked.
_cross_objcopy() {
  local found
  for found in "$(_cross_dir)"/rust/usr/lib/llvm-*/bin/llvm-objcopy; do
    [ -x "$found" ] && { echo "$found"; return 0; }
  done
  return 1
}

ensure_cross_toolchain() {
  local dir
  dir=$(_cross_dir)
  if [ ! -x "$dir/rust/usr/bin/rustc" ] || ! _cross_objcopy >/dev/null; then
    echo "== Installing Debian's rustc-web, its LLVM and Rust's library source into $dir/rust" >&2
    rm -rf "$dir/rust.tmp"
    # The packages' versions must agree with each other: rustc-web's
    # standard library is libstd-rust-web-<version>, which is built against
    # libllvm<N>; llvm-<N> has the llvm-objcopy of that LLVM.
    local std_lib llvm
    debian_lists || return 1
    std_lib=$(debian_apt apt-cache depends libstd-rust-web-dev |
      awk '/Depends: libstd-rust-web-[0-9]/ { print $2; exit }')
    llvm=$(debian_apt apt-cache depends "$std_lib" |
      awk '/Depends: libllvm[0-9]+$/ { sub("libllvm", "", $2); print $2; exit }')
    [ -n "$std_lib" ] && [ -n "$llvm" ] || {
      echo "error: apt knows no libstd-rust-web-dev built against a libllvm" >&2
      return 1
    }
    debian_unpack "$dir/rust.tmp" rustc-web rust-web-src libstd-rust-web-dev "$std_lib" \
      "libllvm$llvm" "llvm-$llvm" || return 1
    rm -rf "$dir/rust"
    mv "$dir/rust.tmp" "$dir/rust"
  fi
  local host_tools="$dir/rust/usr/lib/rustlib/x86_64-unknown-linux-gnu/bin"
  mkdir -p "$host_tools"
  ln -sf "$(_cross_objcopy)" "$host_tools/rust-objcopy"
  # rustc finds its sysroot (std's source for -Zbuild-std) from its own
  # path; the wrapper only adds where Debian's libLLVM and rustc_driver are.
  mkdir -p "$dir/bin"
  CROSS_RUSTC="$dir/bin/rustc"
  cat >"$CROSS_RUSTC" <<EOF
#!/bin/sh
LD_LIBRARY_PATH="$dir/rust/usr/lib/x86_64-linux-gnu\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$dir/rust/usr/bin/rustc" "\$@"
EOF
  chmod +x "$CROSS_RUSTC"
  "$CROSS_RUSTC" -vV >/dev/null || {
    echo "error: Debian's rustc in $dir/rust does not run (a library it needs missing?):" >&2
    "$CROSS_RUSTC" -vV >&2
    return 1
  }

  if [ ! -x "$dir/venv/bin/cargo-zigbuild" ]; then
    echo "== Installing ${CROSS_PYPI_PINS[*]} into $dir/venv" >&2
    rm -rf "$dir/venv"
    python3 -m venv "$dir/venv" >&2 &&
      "$dir/venv/bin/pip" install --quiet --disable-pip-version-check "${CROSS_PYPI_PINS[@]}" >&2 || return 1
  fi
  CROSS_ZIGBUILD="$dir/venv/bin/cargo-zigbuild"
  # zig and cargo-zigbuild cache under the user's home by default; the
  # project keeps everything it installs or builds inside .tools/.
  CROSS_CACHE_DIR="$dir/cache"
  mkdir -p "$CROSS_CACHE_DIR"
  CROSS_ZIG=$("$dir/venv/bin/python" -c 'import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))')

  # Rust's windows-gnu target asks the linker for libssp and
  # libssp_nonshared (GCC's stack protector, which MinGW ships and zig does
  # not; nothing in the program uses it): empty archives satisfy it.
  CROSS_LINK_DIR="$dir/link"
  mkdir -p "$CROSS_LINK_DIR"
  local lib
  for lib in ssp ssp_nonshared; do
    [ -e "$CROSS_LINK_DIR/lib$lib.a" ] || ZIG_GLOBAL_CACHE_DIR="$CROSS_CACHE_DIR/zig" "$CROSS_ZIG" ar rcs "$CROSS_LINK_DIR/lib$lib.a"
  done
}

# The stripped release binary of the provider for $1 (a Rust target triple,
# for linux-gnu with cargo-zigbuild's glibc suffix, e.g. ".2.17"), built
# into $CROSS_TARGET_DIR (default: cargo's target directory).
cross_build() {
  local triple=$1 exe=terraform-provider-domo
  case "$triple" in *windows*) exe="$exe.exe" ;; esac
  local target_dir=${CROSS_TARGET_DIR:-$(cargo_target_dir)}
  local profile=${CROSS_PROFILE:-release} out_dir=release
  [ "$profile" = release ] || out_dir=debug
  local link_args=(-L "native=$CROSS_LINK_DIR")
  case "$triple" in
    *-apple-darwin)
      # zig has libSystem's stubs but no SDK frameworks: text stubs of the
      # two the provider links (scripts/lib/macos-framework-stubs.py).
      cargo fetch --locked >&2
      python3 "$(dirname "${BASH_SOURCE[0]}")/macos-framework-stubs.py" Cargo.lock \
        "${CARGO_HOME:-$HOME/.cargo}"/registry/src/* "$CROSS_LINK_DIR/macos" || return 1
      link_args+=(-C "link-arg=-F$CROSS_LINK_DIR/macos")
      ;;
  esac
  ZIG_GLOBAL_CACHE_DIR="$CROSS_CACHE_DIR/zig" XDG_CACHE_HOME="$CROSS_CACHE_DIR" \
    RUSTC="$CROSS_RUSTC" RUSTC_BOOTSTRAP=1 CARGO_ZIGBUILD_ZIG_PATH="$CROSS_ZIG" \
    CARGO_TARGET_DIR="$target_dir" \
    "$CROSS_ZIGBUILD" rustc --profile "$profile" --locked --bin terraform-provider-domo \
    -Zbuild-std=std,panic_abort --target "$triple" \
    -- "${link_args[@]}" -C strip=symbols >&2 || return 1
  echo "$target_dir/${triple%%.[0-9]*}/$out_dir/$exe"
}
