# shellcheck shell=bash disable=SC2034  # sourced by build.sh and read by sandbox.py
# Pinned versions of the sandbox's servers.  Changing one rebuilds (new cache key).
# Kubernetes 1.34 is a release Amazon EKS supports.
K8S_VERSION=v1.34.4
KWOK_VERSION=v0.7.0
AUTHENTICATOR_VERSION=v0.6.13
SANDBOX_KEY="k8s-${K8S_VERSION}-r2_kwok-${KWOK_VERSION}_iamauth-${AUTHENTICATOR_VERSION}"
