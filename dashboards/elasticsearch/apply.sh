#!/bin/sh
# Installs Vigil's Elasticsearch assets with curl: the lifecycle policy, the events'
# component template, then the index templates (each file is the request body of the
# documented API; the name is the file's). What the store adapter does on setup(), by hand.
#
#   ES_URL=https://es.example:9200 ES_AUTH=elastic:secret ./apply.sh
#
# ES_URL defaults to http://localhost:9200; ES_AUTH (user:password) is optional, and so is
# ES_CACERT (a CA file for a self-signed cluster).
set -eu
cd "$(dirname "$0")"
url="${ES_URL:-http://localhost:9200}"
put() {
  echo "PUT $1" >&2
  set -- "$1" "$2"
  if [ -n "${ES_AUTH:-}" ]; then auth="--user ${ES_AUTH}"; else auth=""; fi
  if [ -n "${ES_CACERT:-}" ]; then ca="--cacert ${ES_CACERT}"; else ca=""; fi
  # shellcheck disable=SC2086
  curl --fail-with-body --silent --show-error $auth $ca -X PUT "$url/$1" -H 'Content-Type: application/json' --data-binary "@$2"
  echo >&2
}
for f in ilm-policy.*.json; do name=${f#ilm-policy.}; put "_ilm/policy/${name%.json}" "$f"; done
for f in component-template.*.json; do name=${f#component-template.}; put "_component_template/${name%.json}" "$f"; done
for f in index-template.*.json; do name=${f#index-template.}; put "_index_template/${name%.json}" "$f"; done
