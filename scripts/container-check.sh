#!/usr/bin/env bash
# Prove the Dockerfile without a Docker engine: build it with buildah on a Debian bookworm
# root file system made by debootstrap, then run the image against a real Dovecot and SMTP
# server on loopback with a host directory as /data.
#
# Environment: CONTAINER_CHECK_DIR (work dir, kept between runs so the base image is
# reused; default: the user's cache dir), CONTAINER_CHECK_REBUILD_BASE=1 to redo debootstrap.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
START=$(date +%s)
WORK=${CONTAINER_CHECK_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/le-triage-container-check}
BASE_TAG=localhost/le-triage-base:bookworm
IMAGE_TAG=localhost/le-triage:check
mkdir -p "$WORK"
BUILDAH=(buildah --storage-driver vfs --root "$WORK/storage" --runroot "$WORK/runroot")

log() { printf '[container-check +%ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }

for tool in buildah debootstrap; do
  command -v "$tool" >/dev/null || { echo "container-check: $tool is not installed" >&2; exit 1; }
done

# The Debian mirror this machine's apt uses (deb822 .sources or one-line .list), never hard-coded.
debian_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk 'BEGIN{RS=""} /Suites:[^\n]*bookworm( |$|\n)/ && !/bookworm-security/ {
             for (i = 1; i <= NF; i++) if ($i == "URIs:") { print $(i + 1); exit } }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { if ($(i + 1) == "bookworm") { print $i; exit } } }' "$f")
    [ -n "$uri" ] && { echo "$uri"; return; }
  done
  return 1
}

# The host's CA bundle (it trusts any TLS-intercepting proxy between us and the registry).
ca_bundle() {
  local f
  f=$(python3 -c 'import ssl; print(ssl.get_default_verify_paths().openssl_cafile)' 2>/dev/null || true)
  for f in "${SSL_CERT_FILE:-}" "$f" /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt; do
    [ -n "$f" ] && [ -s "$f" ] && { echo "$f"; return; }
  done
  return 1
}

if [ "${CONTAINER_CHECK_REBUILD_BASE:-0}" = 1 ] || ! "${BUILDAH[@]}" inspect --type image "$BASE_TAG" >/dev/null 2>&1; then
  MIRROR=$(debian_mirror) || { echo "container-check: no bookworm mirror in the apt sources" >&2; exit 1; }
  ROOTFS="$WORK/rootfs"
  rm -rf "$ROOTFS"
  log "debootstrap bookworm (minbase + python3, python3-venv, ca-certificates)"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates bookworm "$ROOTFS" "$MIRROR" \
    > "$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log"; exit 1; }
  # device nodes and apt caches do not belong in an image; the runtime provides /dev
  rm -rf "$ROOTFS"/dev/* "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
  log "importing the root file system as $BASE_TAG"
  ctr=$("${BUILDAH[@]}" from scratch)
  "${BUILDAH[@]}" copy "$ctr" "$ROOTFS" / >/dev/null
  "${BUILDAH[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
  "${BUILDAH[@]}" commit --rm "$ctr" "$BASE_TAG" >/dev/null
  rm -rf "$ROOTFS"
else
  log "reusing base image $BASE_TAG"
fi

CA=$(ca_bundle) || { echo "container-check: no CA bundle found" >&2; exit 1; }
log "buildah bud (BASE_IMAGE=$BASE_TAG)"
"${BUILDAH[@]}" bud --isolation chroot --format docker \
  --build-arg BASE_IMAGE="$BASE_TAG" --secret id=pipcert,src="$CA" \
  -t "$IMAGE_TAG" -f Dockerfile . > "$WORK/build.log" 2>&1 || { tail -40 "$WORK/build.log"; exit 1; }
BUILT=$(date +%s)
log "image built"

log "running the image against Dovecot and SMTP on loopback"
"$REPO/.venv/bin/python" scripts/container_check.py --work "$WORK" --image "$IMAGE_TAG" --ca "$CA" -- "${BUILDAH[@]}"
END=$(date +%s)
log "container-check passed in $(( END - START ))s (build $(( BUILT - START ))s, run $(( END - BUILT ))s)"
# The previous run's image is now untagged; free its (full-copy, vfs) layers.
"${BUILDAH[@]}" rmi --prune >/dev/null 2>&1 || true
log "pruned unused images"
