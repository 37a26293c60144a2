#!/usr/bin/env bash
# Build the MLflow core images (server, proxy) for linux/amd64 and linux/arm64 and push them
# to the portfolio's ECR repositories under one immutable tag, which a product version pins.
#
# Order matters because ECR tags are immutable: both tags are checked first, both images are
# built (into the builder's cache), and only then are both pushed. A failure before the push
# leaves nothing behind; a failed second push is finished with --only.
set -euo pipefail

readonly REQUIRED_PLATFORMS=("linux/amd64" "linux/arm64")
readonly SERVER_REPO_DEFAULT="mlflow-platform/server"
readonly PROXY_REPO_DEFAULT="mlflow-platform/proxy"

usage() {
    cat <<'EOF'
Usage: scripts/publish_images.sh [options] TAG

Builds docker/mlflow_core/{server,proxy} for linux/amd64 and linux/arm64 with docker buildx and
pushes both to ECR as <repository>:TAG. TAG is immutable (e.g. 3.17.2-3: MLflow version, then
image revision); an existing tag is never overwritten. `make publish-images` passes the tag the
current product versions pin (IMAGE_TAG in mlflow_platform/catalog.py).

Options:
  --registry HOST       ECR registry, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com
                        (default: $ECR_REGISTRY)
  --server-repo NAME    server repository name (default: mlflow-platform/server)
  --proxy-repo NAME     proxy repository name (default: mlflow-platform/proxy)
  --only IMAGE          server or proxy: publish one image (to finish a half-done publish)
  --login               log in to the registry with `aws ecr get-login-password` first
  --allow-dirty         build from a work tree with uncommitted changes (labelled -dirty)
  --dry-run             print the commands instead of running them (no checks)
  -h, --help            show this help

Needs the docker CLI with buildx and a builder that can build both platforms (a
docker-container builder with QEMU emulation, or native nodes), and the aws CLI (to check
tags). Both platforms are always built: the CpuArchitecture launch parameter offers both.
Exit codes: 0 pushed, 1 a build or push failed, 2 usage error or dirty tree, 3 docker/buildx/
builder/aws missing or unreachable, 4 tag already exists.
EOF
}

die() {
    local code=$1
    shift
    printf 'publish_images: %s\n' "$*" >&2
    exit "$code"
}

say() { printf 'publish_images: %s\n' "$*"; }

registry="${ECR_REGISTRY:-}"
server_repo="$SERVER_REPO_DEFAULT"
proxy_repo="$PROXY_REPO_DEFAULT"
only=""
login=false
allow_dirty=false
dry_run=false
tag=""

while (($# > 0)); do
    case "$1" in
        -h | --help) usage; exit 0 ;;
        --registry) registry="${2:?--registry needs a value}"; shift 2 ;;
        --server-repo) server_repo="${2:?--server-repo needs a value}"; shift 2 ;;
        --proxy-repo) proxy_repo="${2:?--proxy-repo needs a value}"; shift 2 ;;
        --only) only="${2:?--only needs server or proxy}"; shift 2 ;;
        --login) login=true; shift ;;
        --allow-dirty) allow_dirty=true; shift ;;
        --dry-run) dry_run=true; shift ;;
        -*) usage >&2; die 2 "unknown option: $1" ;;
        *)
            [[ -z "$tag" ]] || die 2 "only one TAG expected, got '$tag' and '$1'"
            tag="$1"
            shift
            ;;
    esac
done

[[ -n "$tag" ]] || { usage >&2; die 2 "missing TAG (e.g. 3.17.2-3)"; }
[[ "$tag" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$ ]] || die 2 "invalid tag '$tag'"
[[ "$tag" != "latest" ]] || die 2 "'latest' is mutable by nature; use a versioned tag like 3.17.2-3"
[[ -n "$registry" ]] || die 2 "no registry: pass --registry or set ECR_REGISTRY"
[[ "$registry" =~ ^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$ ]] \
    || die 2 "registry '$registry' is not an ECR registry (<account>.dkr.ecr.<region>.amazonaws.com)"
readonly registry_account="${BASH_REMATCH[1]}" region="${BASH_REMATCH[2]}"
case "$only" in
    "") images=(server proxy) ;;
    server | proxy) images=("$only") ;;
    *) die 2 "--only takes server or proxy, not '$only'" ;;
esac

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
platforms="$(IFS=,; echo "${REQUIRED_PLATFORMS[*]}")"

run() {
    if [[ "$dry_run" == true ]]; then
        printf '+'
        printf ' %q' "$@"
        printf '\n'
    else
        "$@"
    fi
}

repository_of() { [[ "$1" == server ]] && echo "$server_repo" || echo "$proxy_repo"; }
dockerfile_of() { echo "docker/mlflow_core/$1/Dockerfile"; }

# The revision label says exactly what was built: refuse a dirty tree unless told.
source_revision() {
    local revision
    revision="$(git -C "$repo_root" rev-parse --short HEAD 2>/dev/null)" || { echo unknown; return; }
    if [[ -n "$(git -C "$repo_root" status --porcelain 2>/dev/null)" ]]; then
        [[ "$allow_dirty" == true || "$dry_run" == true ]] \
            || die 2 "the work tree has uncommitted changes: commit them, or pass --allow-dirty"
        revision="$revision-dirty"
    fi
    echo "$revision"
}

check_tooling() {
    command -v docker >/dev/null 2>&1 \
        || die 3 "the docker CLI is not installed: images cannot be built on this machine"
    docker buildx version >/dev/null 2>&1 \
        || die 3 "the docker buildx plugin is missing: install docker-buildx to build multi-arch"
    command -v aws >/dev/null 2>&1 \
        || die 3 "the aws CLI is missing: it is needed to check that the tags are free"
    local builder
    builder="$(docker buildx inspect --bootstrap 2>&1)" \
        || die 3 "no buildx builder is reachable (docker buildx inspect failed): start a Docker engine or point DOCKER_HOST / the builder at one"
    local platform
    for platform in "${REQUIRED_PLATFORMS[@]}"; do
        grep -E '^Platforms:' <<<"$builder" | grep -qF "$platform" \
            || die 3 "the current buildx builder cannot build $platform: create one that can, e.g. 'docker buildx create --use --driver docker-container' after installing QEMU binfmt handlers (tonistiigi/binfmt)"
    done
}

# 0: the tag exists; 1: it does not. Anything else (no credentials, no network, no such
# repository) stops the script: guessing "free" would only fail later at the immutable push.
tag_exists() {
    local repository=$1 output
    if output="$(aws ecr describe-images --region "$region" --registry-id "$registry_account" \
            --repository-name "$repository" --image-ids "imageTag=$tag" \
            --query 'imageDetails[0].imageTags' --output text 2>&1)"; then
        return 0
    fi
    if grep -q 'ImageNotFoundException' <<<"$output"; then
        return 1
    fi
    die 3 "cannot check $repository:$tag in ECR: ${output//$'\n'/ }"
}

buildx() {
    local image=$1 revision=$2
    shift 2
    run docker buildx build \
        --platform "$platforms" \
        --file "$repo_root/$(dockerfile_of "$image")" \
        --tag "$registry/$(repository_of "$image"):$tag" \
        --label "org.opencontainers.image.version=$tag" \
        --label "org.opencontainers.image.revision=$revision" \
        --label "org.opencontainers.image.source=mlflow-platform" \
        "$@" \
        "$repo_root"
}

if [[ "$dry_run" != true ]]; then
    check_tooling
fi
revision="$(source_revision)"

if [[ "$login" == true ]]; then
    # The token goes through a pipe, never onto a command line.
    if [[ "$dry_run" == true ]]; then
        printf '+ aws ecr get-login-password --region %q | docker login --username AWS --password-stdin %q\n' \
            "$region" "$registry"
    else
        aws ecr get-login-password --region "$region" \
            | docker login --username AWS --password-stdin "$registry"
    fi
fi

if [[ "$dry_run" != true ]]; then
    for image in "${images[@]}"; do
        if tag_exists "$(repository_of "$image")"; then
            die 4 "$registry/$(repository_of "$image"):$tag already exists: tags are immutable, bump the image revision (IMAGE_TAG in mlflow_platform/catalog.py, e.g. ${tag%-*}-N)"
        fi
    done
fi
for image in "${images[@]}"; do
    say "building $image for $platforms (revision $revision)"
    buildx "$image" "$revision"
done
for image in "${images[@]}"; do
    say "pushing $registry/$(repository_of "$image"):$tag"
    # From the builder's cache: the same layers as the build above.
    buildx "$image" "$revision" --push \
        || die 1 "pushing $image failed; once the cause is fixed, finish with: scripts/publish_images.sh --only $image $tag"
done
say "pushed ${images[*]} as $tag to $registry"
