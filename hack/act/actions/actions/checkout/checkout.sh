#!/usr/bin/env bash
# The step of the actions/checkout stand-in (action.yml beside it says what it does); its inputs come as INPUT_* variables.
set -euo pipefail

echo "checkout stand-in (hack/act): not actions/checkout; fetches from the local repository GP_ACT_SOURCE"
src=${GP_ACT_SOURCE:-}
if [[ -z $src || ! -d $src/.git ]]; then
  echo "::error title=checkout stand-in::GP_ACT_SOURCE must name the local git repository act runs on (act --env GP_ACT_SOURCE=<dir>); got '${src}'"
  exit 1
fi
if [[ $INPUT_REPOSITORY != "$GITHUB_REPOSITORY" ]]; then
  echo "::error title=checkout stand-in::only the workflow's own repository ($GITHUB_REPOSITORY) can be checked out here, not $INPUT_REPOSITORY"
  exit 1
fi
ref=${INPUT_REF:-$GITHUB_SHA}
dest=$GITHUB_WORKSPACE${INPUT_PATH:+/$INPUT_PATH}
mkdir -p "$dest"
if [[ -n $(ls -A "$dest") ]]; then
  echo "::error title=checkout stand-in::$dest is not empty"
  exit 1
fi
git init -q "$dest"
git -C "$dest" fetch -q --depth=1 --no-tags "file://$src" "$ref"
git -C "$dest" -c advice.detachedHead=false checkout -q --detach FETCH_HEAD
echo "HEAD is now at $(git -C "$dest" log -1 --format='%h %s')"
if [[ -n ${GP_ACT_RECORDS:-} ]]; then
  mkdir -p "$GP_ACT_RECORDS"
  jq -cn --arg repository "$INPUT_REPOSITORY" --arg ref "$ref" --arg path "$INPUT_PATH" \
    --arg persist_credentials "$INPUT_PERSIST_CREDENTIALS" --arg fetch_depth "$INPUT_FETCH_DEPTH" \
    --arg head "$(git -C "$dest" rev-parse HEAD)" \
    '{repository: $repository, ref: $ref, path: $path, "persist-credentials": $persist_credentials,
      "fetch-depth": $fetch_depth, head: $head}' >>"$GP_ACT_RECORDS/checkout.jsonl"
fi
