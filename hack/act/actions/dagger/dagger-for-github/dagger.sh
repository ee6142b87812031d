#!/usr/bin/env bash
# The step of the dagger/dagger-for-github stand-in (action.yml beside it says what it does); its inputs come as INPUT_* variables.
set -euo pipefail

echo "dagger-for-github stand-in (hack/act): not dagger/dagger-for-github; runs the local dagger CLI"
if [[ -n $INPUT_COMMIT || -n $INPUT_SHELL ]]; then
  echo "::error title=dagger-for-github stand-in::the inputs commit and shell are not supported here"
  exit 1
fi

# The CLI: the platform's (hack/platform env), else the one on PATH; never a download.
bin=${_EXPERIMENTAL_DAGGER_CLI_BIN:-$(command -v dagger || true)}
if [[ -z $bin || ! -x $bin ]]; then
  echo "::error title=dagger-for-github stand-in::no dagger CLI (\$_EXPERIMENTAL_DAGGER_CLI_BIN or PATH) and nothing can be downloaded here: eval \"\$(hack/platform env)\""
  exit 1
fi
want=$INPUT_VERSION
[[ -z $want || $want == latest || $want == v* ]] || want=v$want
have=$(TERM=dumb "$bin" --silent version </dev/null | cut -d' ' -f2)
if [[ -n $want && $want != latest && $have != "$want" ]]; then
  echo "::error title=dagger-for-github stand-in::the workflow asks for dagger $want, the local CLI $bin is $have, and nothing can be downloaded here"
  exit 1
fi
if [[ $(basename "$bin") != dagger ]]; then
  echo "::error title=dagger-for-github stand-in::the CLI $bin is not named dagger"
  exit 1
fi
echo "dagger $have is already installed ($bin), skipping installation"
bindir=$(dirname "$bin")
echo "$bindir" >>"$GITHUB_PATH"
export PATH=$bindir:$PATH

# One line each: backslash-newlines and newlines become spaces.
oneline() { sed -z 's/\\\n/ /g; s/\n/ /g' <<<"$1" | sed 's/[[:space:]]*$//'; }
verb=$INPUT_VERB
flags=$(oneline "$INPUT_DAGGER_FLAGS")
args=$(oneline "$INPUT_ARGS")
if [[ -z $args && -n $INPUT_CALL ]]; then
  verb=call
  args=$(oneline "$INPUT_CALL")
elif [[ -z $args && -n $INPUT_CHECK ]]; then
  verb=check # the check input only triggers the verb, as in the real action
fi
if [[ -z $args && -z $INPUT_CALL && -z $INPUT_CHECK && $verb == call ]]; then
  echo "nothing to run: no args, call or check"
  exit 0
fi
line="dagger $flags $verb ${INPUT_MODULE:+-m $INPUT_MODULE} $args"
echo "$line"
if [[ -n ${GP_ACT_RECORDS:-} ]]; then
  mkdir -p "$GP_ACT_RECORDS"
  jq -cn --arg version "$INPUT_VERSION" --arg cli "$have" --arg verb "$verb" --arg mod "$INPUT_MODULE" \
    --arg args "$args" --arg workdir "$INPUT_WORKDIR" --arg flags "$flags" \
    '{"version": $version, "cli": $cli, "verb": $verb, "module": $mod, "args": $args, "workdir": $workdir,
      "dagger-flags": $flags}' >>"$GP_ACT_RECORDS/dagger.jsonl"
fi

out=$(mktemp)
# The real action splices the line into its script: bash reads it, quotes and all.
set +e
(
  cd "$INPUT_WORKDIR" || exit
  [[ -z $INPUT_CLOUD_TOKEN ]] || export DAGGER_CLOUD_TOKEN=$INPUT_CLOUD_TOKEN
  eval "$line"
) | tee "$out"
rc=${PIPESTATUS[0]}
set -e
delim=$(sha256sum "$out" | cut -d' ' -f1)
{ echo "stdout<<$delim"; cat "$out"; echo; echo "$delim"; } >>"$GITHUB_OUTPUT"

summary() {
  # shellcheck disable=SC2016 # markdown code fences, not expansions
  printf '## Command\n\n```bash\n%s\n```\n\n## Dagger version\n\n```bash\n' "${INPUT_MODULE:+DAGGER_MODULE=\"$INPUT_MODULE\" }dagger $verb $args"
  dagger version || true
  printf '```\n\n---\n'
}
[[ -z $INPUT_SUMMARY_PATH ]] || summary >"$INPUT_SUMMARY_PATH"
[[ $INPUT_ENABLE_GITHUB_SUMMARY != true ]] || summary >"$GITHUB_STEP_SUMMARY"
exit "$rc"
