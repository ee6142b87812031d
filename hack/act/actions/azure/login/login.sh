#!/usr/bin/env bash
# The step of the azure/login stand-in (action.yml beside it says what it does); its inputs come as INPUT_* variables.
set -euo pipefail

echo "azure/login stand-in (hack/act): not azure/login; records its inputs, logs nobody in"
if [[ -n $INPUT_CREDS ]]; then
  echo "::error title=azure/login stand-in::creds (a stored secret) given: the golden path logs in with OIDC (client-id, tenant-id, subscription-id)"
  exit 1
fi
missing=()
[[ -n $INPUT_CLIENT_ID ]] || missing+=(client-id)
[[ -n $INPUT_TENANT_ID ]] || missing+=(tenant-id)
[[ -n $INPUT_SUBSCRIPTION_ID || $INPUT_ALLOW_NO_SUBSCRIPTIONS == true ]] || missing+=(subscription-id)
if ((${#missing[@]})); then
  echo "::error title=azure/login stand-in::Ensure ${missing[*]} are supplied (OIDC login)"
  exit 1
fi
record=$(jq -cn --arg client_id "$INPUT_CLIENT_ID" --arg tenant_id "$INPUT_TENANT_ID" \
  --arg subscription_id "$INPUT_SUBSCRIPTION_ID" --arg environment "$INPUT_ENVIRONMENT" \
  --arg audience "$INPUT_AUDIENCE" --arg auth_type "$INPUT_AUTH_TYPE" \
  '{"client-id": $client_id, "tenant-id": $tenant_id, "subscription-id": $subscription_id,
    environment: $environment, audience: $audience, "auth-type": $auth_type}')
printf '%s\n' "$record" >"$RUNNER_TEMP/gp-act-azure-login.json"
if [[ -n ${GP_ACT_RECORDS:-} ]]; then
  mkdir -p "$GP_ACT_RECORDS"
  printf '%s\n' "$record" >>"$GP_ACT_RECORDS/azure-login.jsonl"
fi
echo "Login successful (stand-in): tenant $INPUT_TENANT_ID, subscription $INPUT_SUBSCRIPTION_ID"
