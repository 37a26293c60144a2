#!/usr/bin/env bash
# Build the MLflow core images (server, proxy) for linux/amd64 and linux/arm64 and push them
# to the portfolio's ECR repositories under one immutable tag, which a product version pins.
set -euo pipefail

readonly PLATFORMS_DEFAULT="linux/amd64,linux/arm64"
readonly SERVER_REPO_DEFAULT="mlflow-platform/server"
readonly PROXY_REPO_DEFAULT="mlflow-platform/proxy"

usage() {
    cat <<'EOF'
Usage: scripts/publish_images.sh [options] TAG

Builds docker/mlflow_core/{server,proxy} for linux/amd64 and linux/arm64 with docker buildx and
pushes both to ECR as <repository>:TAG. TAG is immutable (e.g. 3.17.2-1: MLflow version, then
image revision); an existing tag is never overwritten.

Options:
  --registry HOST       ECR registry, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com
                        (default: $ECR_REGISTRY)
  --server-repo NAME    server repository name (default: mlflow-platform/server)
  --proxy-repo NAME     proxy repository name (default: mlflow-platform/proxy)
  --platforms LIST      buildx platforms (default: linux/amd64,linux/arm64)
  --login               log in to the registry with `aws ecr get-login-password` first
  --dry-run             print the build commands instead of running them
  -h, --help            show this help

Needs the docker CLI with the buildx plugin and a reachable Docker engine (or buildx builder).
Exit codes: 0 pushed, 2 usage error, 3 docker/buildx/engine missing, 4 tag already exists.
EOF
}

die() {
    local code=$1
    shift
    printf 'publish_images: %s\n' "$*" >&2
    exit "$code"
}

registry="${ECR_REGISTRY:-}"
server_repo="$SERVER_REPO_DEFAULT"
proxy_repo="$PROXY_REPO_DEFAULT"
platforms="$PLATFORMS_DEFAULT"
login=false
dry_run=false
tag=""

while (($# > 0)); do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        --registry) registry="${2:?--registry needs a value}"; shift 2 ;;
        --server-repo) server_repo="${2:?--server-repo needs a value}"; shift 2 ;;
        --proxy-repo) proxy_repo="${2:?--proxy-repo needs a value}"; shift 2 ;;
        --platforms) platforms="${2:?--platforms needs a value}"; shift 2 ;;
        --login) login=true; shift ;;
        --dry-run) dry_run=true; shift ;;
        -*) usage >&2; die 2 "unknown option: $1" ;;
        *)
            [[ -z "$tag" ]] || die 2 "only one TAG expected, got '$tag' and '$1'"
            tag="$1"
            shift
            ;;
    esac
done

[[ -n "$tag" ]] || { usage >&2; die 2 "missing TAG (e.g. 3.17.2-1)"; }
[[ "$tag" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ ]] || die 2 "invalid tag '$tag'"
[[ "$tag" != "latest" ]] || die 2 "'latest' is mutable by nature; use a versioned tag like 3.17.2-1"
[[ -n "$registry" ]] || die 2 "no registry: pass --registry or set ECR_REGISTRY"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
revision="$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null || echo unknown)"

run() {
    if [[ "$dry_run" == true ]]; then
        printf '+'
        printf ' %q' "$@"
        printf '\n'
    else
        "$@"
    fi
}

check_tooling() {
    command -v docker >/dev/null 2>&1 \
        || die 3 "the docker CLI is not installed: images cannot be built on this machine"
    docker buildx version >/dev/null 2>&1 \
        || die 3 "the docker buildx plugin is missing: install docker-buildx to build multi-arch"
    docker info >/dev/null 2>&1 \
        || die 3 "no Docker engine is reachable (docker info failed): start one or point DOCKER_HOST at one"
}

tag_exists() {
    docker buildx imagetools inspect "$1" >/dev/null 2>&1
}

build_and_push() {
    local dockerfile=$1 image=$2
    if [[ "$dry_run" != true ]] && tag_exists "$image"; then
        die 4 "$image already exists: tags are immutable, bump the revision (e.g. ${tag%-*}-N)"
    fi
    printf 'publish_images: building %s for %s\n' "$image" "$platforms"
    run docker buildx build \
        --platform "$platforms" \
        --file "$repo_root/$dockerfile" \
        --tag "$image" \
        --label "org.opencontainers.image.version=$tag" \
        --label "org.opencontainers.image.revision=$revision" \
        --label "org.opencontainers.image.source=mlflow-platform" \
        --push \
        "$repo_root"
}

if [[ "$dry_run" != true ]]; then
    check_tooling
fi

if [[ "$login" == true ]]; then
    command -v aws >/dev/null 2>&1 || die 3 "--login needs the aws CLI"
    region="$(cut -d. -f4 <<<"$registry")"
    # The token goes through a pipe, never onto a command line.
    if [[ "$dry_run" == true ]]; then
        printf '+ aws ecr get-login-password --region %q | docker login --username AWS --password-stdin %q\n' \
            "$region" "$registry"
    else
        aws ecr get-login-password --region "$region" \
            | docker login --username AWS --password-stdin "$registry"
    fi
fi

build_and_push docker/mlflow_core/server/Dockerfile "$registry/$server_repo:$tag"
build_and_push docker/mlflow_core/proxy/Dockerfile "$registry/$proxy_repo:$tag"
printf 'publish_images: pushed %s and %s\n' "$registry/$server_repo:$tag" "$registry/$proxy_repo:$tag"
