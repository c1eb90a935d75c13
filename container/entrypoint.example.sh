#!/bin/sh
# container/entrypoint.example.sh — an example wrapper entrypoint, for an image
# that needs a step of its own before pgpod (the stock image runs
# ENTRYPOINT ["pgpod", "run"] directly). Use it with:
#
#   COPY container/entrypoint.example.sh /usr/local/bin/entrypoint.sh
#   ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
#
# Rules it follows, and any replacement should too:
#   - it ends with `exec pgpod run`, so that pgpod is PID 1 and receives
#     SIGTERM from the runtime directly (no shell in between that would
#     swallow it);
#   - it stays root: pgpod reads the Secrets and then drops to postgres itself;
#   - it never puts a password in an argument or an environment variable.
set -eu

spec=${PGPOD_SPEC:-/etc/pgpod/cluster.yaml}

if [ ! -r "$spec" ]; then
	echo "entrypoint: no cluster spec at $spec: mount one there (a ConfigMap) or set PGPOD_SPEC" >&2
	exit 2
fi

# Kubernetes sets POD_NAME through the downward API; elsewhere use the host name.
: "${POD_NAME:=$(hostname)}"
export POD_NAME

# Fail early, with every error and its field path, before touching anything.
# (`pgpod run` validates too; this only makes the message the container's last.)
if ! pgpod spec check --spec "$spec" >/dev/null; then
	echo "entrypoint: the spec $spec is invalid (see above)" >&2
	exit 2
fi

# Your own steps go here: e.g. wait for a mounted volume, copy extra config.

exec pgpod run "$@"
