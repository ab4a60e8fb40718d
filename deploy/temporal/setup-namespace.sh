#!/bin/sh
# Registers the namespace and the custom search attributes Tollbooth's workflows carry (the dev
# server gets the same ones from its --search-attribute flags). Safe to run again.
set -eu
ns="${TEMPORAL_NAMESPACE:-default}"
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do sleep 2; done
temporal operator namespace describe --address "$TEMPORAL_ADDRESS" -n "$ns" >/dev/null 2>&1 ||
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" -n "$ns" --retention "${TEMPORAL_RETENTION:-30d}"
existing=$(temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" -n "$ns")
for name in $SEARCH_ATTRIBUTES; do
  echo "$existing" | grep -qw "$name" ||
    temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" -n "$ns" --name "$name" --type Keyword
done
echo "namespace $ns ready"
