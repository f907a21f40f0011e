#!/usr/bin/env bash
# Imports every user of users.json by id (one API request each), skipping
# those already in state, so the script can be re-run after an interruption.
set -euo pipefail

terraform state list >imported.txt 2>/dev/null || true

jq -r 'to_entries[] | "\(.key) \(.value.id)"' users.json |
  while read -r key id; do
    address="domo_user.people[\"$key\"]"
    if grep -qxF "$address" imported.txt; then
      continue
    fi
    terraform import -input=false "$address" "$id"
  done

rm -f imported.txt
