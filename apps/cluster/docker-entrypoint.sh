#!/bin/sh
# Entrypoint of the node image. Kubernetes has no ulimit field, so the open-file limit (one per
# connection) is raised here while still root, then root and every capability are dropped.
set -eu
want="${ASP_NOFILE:-1048576}"
if ! ulimit -Hn "$want" 2>/dev/null; then
  echo "entrypoint: cannot raise the open-file hard limit to $want (needs CAP_SYS_RESOURCE); it stays $(ulimit -Hn)" >&2
fi
ulimit -Sn "$(ulimit -Hn)"
if [ "$(id -u)" = 0 ]; then
  # setuid away from root clears the permitted and effective capability sets.
  exec setpriv --reuid=1000 --regid=1000 --clear-groups --inh-caps=-all node "$@"
fi
exec node "$@"
