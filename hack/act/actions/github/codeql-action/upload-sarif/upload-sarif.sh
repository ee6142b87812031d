#!/usr/bin/env bash
# The step of the github/codeql-action/upload-sarif stand-in (action.yml beside it says what it does); its inputs come as INPUT_* variables.
set -euo pipefail

echo "upload-sarif stand-in (hack/act): not github/codeql-action; checks and records the SARIF, uploads nothing"
if [[ -d $INPUT_SARIF_FILE ]]; then
  mapfile -t files < <(find "$INPUT_SARIF_FILE" -type f -name '*.sarif' | sort)
elif [[ -f $INPUT_SARIF_FILE ]]; then
  files=("$INPUT_SARIF_FILE")
else
  echo "::error title=upload-sarif stand-in::Path does not exist: $INPUT_SARIF_FILE"
  exit 1
fi
if ((${#files[@]} == 0)); then
  echo "::error title=upload-sarif stand-in::No SARIF files found to upload in $INPUT_SARIF_FILE"
  exit 1
fi
for f in "${files[@]}"; do
  if ! problem=$(jq -r '
      if (type != "object") then "not a JSON object"
      elif (.version != "2.1.0") then "version is \(.version | tojson), not \"2.1.0\""
      elif ((.runs | type) != "array" or (.runs | length) == 0) then "no runs"
      elif ([.runs[] | .tool.driver.name // empty] | length) != (.runs | length) then "a run does not name its tool (tool.driver.name)"
      else empty end' "$f" 2>&1); then
    problem="not JSON: $problem"
  fi
  if [[ -n $problem ]]; then
    echo "::error file=$f,title=upload-sarif stand-in::Invalid SARIF: $problem"
    exit 1
  fi
  echo "$f: SARIF 2.1.0, $(jq '[.runs[].results // [] | length] | add' "$f") result(s), tool $(jq -r '[.runs[].tool.driver.name] | join(", ")' "$f")"
done
id=$(cat "${files[@]}" | sha256sum | cut -c1-16)
echo "sarif-id=$id" >>"$GITHUB_OUTPUT"
if [[ -n ${GP_ACT_RECORDS:-} ]]; then
  mkdir -p "$GP_ACT_RECORDS/upload-sarif"
  copies=()
  for f in "${files[@]}"; do
    copy=$GP_ACT_RECORDS/upload-sarif/${INPUT_CATEGORY:-default}-$(basename "$f")
    cp "$f" "$copy"
    copies+=("$copy")
  done
  printf '%s\n' "${copies[@]}" | jq -cRs --arg sarif_file "$INPUT_SARIF_FILE" --arg category "$INPUT_CATEGORY" \
    --arg ref "$INPUT_REF" --arg sha "$INPUT_SHA" --arg id "$id" '{sarif_file: $sarif_file, category: $category,
    ref: $ref, sha: $sha, "sarif-id": $id, files: (split("\n") | .[:-1])}' >>"$GP_ACT_RECORDS/upload-sarif.jsonl"
fi
