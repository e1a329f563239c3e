# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A local "EKS-like" sandbox made of real servers, on loopback.

    sandbox.py up [--clusters N]   build what is missing, start everything, seed, wait healthy
    sandbox.py down                stop everything
    sandbox.py status              say what runs
    sandbox.py restart apiserver   start the first cluster's API server again (after a test stopped it)

Pieces: etcd, kube-apiserver, kube-controller-manager and kube-scheduler built
from the Go module proxy (build.sh); kwok faking nodes and pod status; moto in
server mode as IAM/STS/EKS/SSO admin; the pod identity webhook stand-in
(pod_identity_webhook.py); the EKS token authenticator stand-in
(iam_authenticator.py).  State lives in ``.sandbox/`` of the checkout and is
rebuilt on every start, so each run begins from a fresh EKS account and cluster.

``--clusters N`` adds clusters ``sandbox-2`` .. ``sandbox-N``, each in another
region: one more kube-apiserver each, on the same etcd under its own prefix,
with no controller manager, scheduler or nodes.  Beyond ``sandbox-10`` (up to
FLEET_MAX_CLUSTERS, for the fleet benchmark) the regions come round again:
``sandbox-11`` shares eu-west-1 with ``sandbox-2``, and so on.

Whatever N is, two more clusters of the same kind sit beside ``sandbox``
(which is ``CONFIG_MAP``) in its region, one per EKS authentication mode that
uses access entries: ``sandbox-api-and-config-map`` and ``sandbox-api``
(ACCESS_MODE_CLUSTERS; moto_eks_access.py, docs/sandbox.md).

Run it with the project venv's Python (it needs boto3, kubernetes, cryptography).
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
STATE = os.environ.get("EKS_SANDBOX_DIR", os.path.join(REPO, ".sandbox"))
CACHE = os.environ.get("EKS_SANDBOX_CACHE", os.path.expanduser("~/.cache/eks-access-sandbox"))

REGION = "us-west-2"
CLUSTER_NAME = "sandbox"
IPV6_CLUSTER_NAME = "sandbox-v6"
ADDON_CLUSTER_NAME = "sandbox-addon"
# An EKS Auto Mode cluster (computeConfig.enabled; its nodes run the Pod Identity agent without the
# add-on). EKS only: it shares the sandbox API server, like sandbox-addon.
AUTO_MODE_CLUSTER_NAME = "sandbox-auto"
AUTO_MODE_NODE_ROLE = "AmazonEKSAutoNodeRole"
ACCOUNT_ID = "123456789012"  # moto's default account
# The IAM user whose keys the sandbox hands out (AWS_ACCESS_KEY_ID); it creates
# the clusters, so EKS authentication makes it system:masters on each.
SANDBOX_USER = "sandbox-admin"
CREATOR_ARN = "arn:aws:iam::%s:user/%s" % (ACCOUNT_ID, SANDBOX_USER)
# Cluster 1 is "sandbox" in REGION; cluster k (k >= 2) is "sandbox-k" in EXTRA_REGIONS[(k - 2) % 9]:
# one region each up to sandbox-10, then two clusters per region (distinct names, so EKS, the
# authenticator and the inventory plugin tell them apart).
EXTRA_REGIONS = ["eu-west-1", "ap-northeast-1", "us-east-1", "eu-central-1", "ap-southeast-2",
                 "ca-central-1", "sa-east-1", "us-east-2", "ap-south-1"]
MAX_CLUSTERS = 1 + len(EXTRA_REGIONS)
# The fleet benchmark (tests/bench/fleet_bench.py) runs 20 API servers; clusters past MAX_CLUSTERS
# serve on ports of their own (apiserver-fleet), since MAX_CLUSTERS + 1 .. + 2 are the access mode clusters'.
FLEET_MAX_CLUSTERS = 20
# One cluster per EKS authentication mode that reads access entries, each with its own API
# server (the authenticator tells clusters apart by the webhook path of their API server),
# created in REGION through CreateCluster(accessConfig=...) by the sandbox user, so EKS gives
# that creator an access entry with AmazonEKSClusterAdminPolicy. `sandbox` is the CONFIG_MAP one.
ACCESS_MODE_CLUSTERS = [
    ("sandbox-api-and-config-map", "API_AND_CONFIG_MAP", "apiserver-api-and-config-map"),
    ("sandbox-api", "API", "apiserver-api"),
]
CONFIG_MAP_MODE = "CONFIG_MAP"

PORTS = {
    "etcd": 12379,
    "etcd-peer": 12380,
    "apiserver": 16443,
    "moto": 15000,
    "webhook": 16445,
    "controller-manager": 16257,
    "scheduler": 16259,
    "kwok": 16247,
    "authenticator": 16446,
    # the local OIDC identity provider (oidc_issuer.py), for associated identity provider configs
    "oidc-issuer": 16448,
    # cluster k >= 2 serves on apiserver-extra + k (16462 .. 16470)
    "apiserver-extra": 16460,
    # the clusters of ACCESS_MODE_CLUSTERS
    "apiserver-api-and-config-map": 16471,
    "apiserver-api": 16472,
    # cluster k > MAX_CLUSTERS serves on apiserver-fleet + k (16491 .. 16500)
    "apiserver-fleet": 16480,
}
# A second sandbox (another checkout, EKS_SANDBOX_DIR elsewhere) can run beside
# the first with every port shifted by this offset.
PORT_OFFSET = int(os.environ.get("EKS_SANDBOX_PORT_OFFSET", "0"))
PORTS = {name: port + PORT_OFFSET for name, port in PORTS.items()}
NODE_NAMES = ["ip-192-168-10-11.us-west-2.compute.internal",
              "ip-192-168-20-12.us-west-2.compute.internal",
              "ip-192-168-30-13.us-west-2.compute.internal"]
NODEGROUPS = [("ng-general", "eksctl-sandbox-nodegroup-ng-general-NodeInstanceRole-1A2B3C"),
              ("ng-spot", "eksctl-sandbox-nodegroup-ng-spot-NodeInstanceRole-4D5E6F")]
NODE_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"]
# IAM Identity Center (SSO): the roles it provisions into an account, as
# (permission set, role name, path).  The first sits under the global path
# (Identity Center in us-east-1), the second under the regional path; the
# third is a decoy whose name starts like the first's.
SSO_SAML_PROVIDER = "AWSSSO_0a1b2c3d4e5f6a7b_DO_NOT_DELETE"
SSO_ROLES = [
    ("EKSClusterAdminAccess", "AWSReservedSSO_EKSClusterAdminAccess_4ffa4321e413c0b0",
     "/aws-reserved/sso.amazonaws.com/"),
    ("EKSReadOnly", "AWSReservedSSO_EKSReadOnly_6a316cc66d154241",
     "/aws-reserved/sso.amazonaws.com/eu-west-1/"),
    ("EKSClusterAdminAccessReadOnly", "AWSReservedSSO_EKSClusterAdminAccessReadOnly_9b8c7d6e5f4a3b2c",
     "/aws-reserved/sso.amazonaws.com/"),
]
# Permission sets of the SSO admin instance: the three above, plus one that is
# provisioned to the account but has no role in IAM (yet).
SSO_PERMISSION_SETS = [name for name, _role, _path in SSO_ROLES] + ["EKSDevelopers"]
# The IPv6 cluster's node role carries the guide's customer managed IPv6 CNI
# policy instead of AmazonEKS_CNI_Policy; the add-on cluster's node role is
# like the sandbox's. Both clusters share the sandbox API server in tests.
IPV6_POLICY_NAME = "AmazonEKS_CNI_IPv6_Policy"
IPV6_NODEGROUP = ("ng-v6", "eksctl-sandbox-v6-nodegroup-ng-v6-NodeInstanceRole-7G8H9I")
ADDON_NODEGROUP = ("ng-addon", "eksctl-sandbox-addon-nodegroup-ng-addon-NodeInstanceRole-0J1K2L")
SERVICES = ["moto", "authenticator", "etcd", "apiserver", "controller-manager", "scheduler", "kwok", "webhook",
            "oidc-issuer"]
# What every API server's --authentication-config says while no OIDC identity provider config is
# associated with its cluster: no JWT authenticator (moto_eks_identity_providers.py rewrites it).
EMPTY_AUTHENTICATION_CONFIG = {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration",
                               "jwt": []}


def cluster_specs(count):
    """The sandbox clusters for ``up --clusters count``: name, region, port, service, etcd prefix."""
    if not 1 <= count <= FLEET_MAX_CLUSTERS:
        raise StepFailed("--clusters must be between 1 and %d, got %d" % (FLEET_MAX_CLUSTERS, count))
    specs = [{"name": CLUSTER_NAME, "region": REGION, "port": PORTS["apiserver"], "service": "apiserver",
              "etcd_prefix": "/registry", "cert": "apiserver", "mode": CONFIG_MAP_MODE}]
    for k in range(2, count + 1):
        name = "%s-%d" % (CLUSTER_NAME, k)
        port = PORTS["apiserver-extra" if k <= MAX_CLUSTERS else "apiserver-fleet"] + k
        specs.append({"name": name, "region": EXTRA_REGIONS[(k - 2) % len(EXTRA_REGIONS)], "port": port,
                      "service": "apiserver-" + name, "etcd_prefix": "/registry-" + name, "cert": "apiserver-" + name,
                      "mode": CONFIG_MAP_MODE})
    for name, mode, port_name in ACCESS_MODE_CLUSTERS:
        specs.append({"name": name, "region": REGION, "port": PORTS[port_name], "service": "apiserver-" + name,
                      "etcd_prefix": "/registry-" + name, "cert": "apiserver-" + name, "mode": mode})
    for spec in specs:
        spec["endpoint"] = "https://127.0.0.1:%d" % spec["port"]
    return specs


def aggregator_service(spec):
    """The kube-controller-manager that runs only the ClusterRole aggregation controller for an extra cluster."""
    return "controller-manager-" + spec["name"]


def services(specs):
    """Every service of a sandbox with these clusters, in start order."""
    extra = [spec["service"] for spec in specs[1:]] + [aggregator_service(spec) for spec in specs[1:]]
    index = SERVICES.index("apiserver") + 1
    return SERVICES[:index] + extra + SERVICES[index:]


def say(msg):
    print("[sandbox] %s" % msg, flush=True)


class StepFailed(Exception):
    pass


def path(*parts):
    return os.path.join(STATE, *parts)


def versions():
    values = {}
    with open(os.path.join(HERE, "versions.sh")) as f:
        for line in f:
            line = line.strip()
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                values[key] = value.strip('"')
    key = values["SANDBOX_KEY"]
    for name, value in values.items():
        key = key.replace("${%s}" % name, value)
    values["SANDBOX_KEY"] = key
    return values


def bindir():
    return os.path.join(CACHE, "bin-" + versions()["SANDBOX_KEY"])


# --------------------------------------------------------------------------- processes

def pid_of(name):
    try:
        with open(path("run", name + ".pid")) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except OSError:
        return None
    return pid


def start(name, argv, env=None):
    os.makedirs(path("run"), exist_ok=True)
    os.makedirs(path("logs"), exist_ok=True)
    log = open(path("logs", name + ".log"), "ab")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env=dict(os.environ, **(env or {})), start_new_session=True, cwd=STATE)
    with open(path("run", name + ".pid"), "w") as f:
        f.write(str(proc.pid))
    return proc


def running_services():
    """Every service with a pid file, known ones in start order, then the extra API servers."""
    try:
        names = sorted(f[:-4] for f in os.listdir(path("run")) if f.endswith(".pid"))
    except OSError:
        names = []
    extra = [n for n in names if n not in SERVICES]
    index = SERVICES.index("apiserver") + 1
    return SERVICES[:index] + extra + SERVICES[index:]


def stop_all():
    for name in reversed(running_services()):
        pid = pid_of(name)
        if pid is None:
            continue
        try:
            os.killpg(pid, signal.SIGTERM)
        except OSError:
            pass
        for _attempt in range(50):
            if pid_of(name) is None:
                break
            time.sleep(0.1)
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        # reap if it is our child (it is not, after a fresh invocation)
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        try:
            os.unlink(path("run", name + ".pid"))
        except OSError:
            pass


def wait_for(what, check, timeout, log_name=None):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            if check():
                return
        except Exception as e:  # the service is still starting
            last = e
        if log_name and pid_of(log_name) is None:
            break
        time.sleep(0.5)
    where = " (log: %s)" % path("logs", log_name + ".log") if log_name else ""
    raise StepFailed("%s did not come up%s; last error: %s" % (what, where, last))


def http_ok(url, token=None, cafile=None):
    headers = {"Authorization": "Bearer " + token} if token else {}
    ctx = ssl.create_default_context(cafile=cafile) if cafile else None
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), context=ctx, timeout=3) as r:
        return r.status == 200


# --------------------------------------------------------------------------- PKI

def make_pki(specs):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID
    import ipaddress

    os.makedirs(path("pki"), exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)

    def key():
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def write_key(k, name):
        with open(path("pki", name), "wb") as f:
            f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption()))
        os.chmod(path("pki", name), 0o600)

    def write_cert(c, name):
        with open(path("pki", name), "wb") as f:
            f.write(c.public_bytes(serialization.Encoding.PEM))

    ca_key = key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "eks-access-sandbox-ca")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    write_key(ca_key, "ca.key")
    write_cert(ca, "ca.crt")

    def serving(name, cn, fast=False):
        # New certificates use P-256 keys: generated in a millisecond, so extra
        # clusters and the authenticator add nothing noticeable to a start.
        k = ec.generate_private_key(ec.SECP256R1()) if fast else key()
        c = (x509.CertificateBuilder()
             .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
             .issuer_name(ca_name).public_key(k.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=30))
             .add_extension(x509.SubjectAlternativeName([
                 x509.DNSName("localhost"), x509.DNSName("kubernetes"), x509.DNSName("kubernetes.default.svc"),
                 x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
             .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
             .sign(ca_key, hashes.SHA256()))
        write_key(k, name + ".key")
        write_cert(c, name + ".crt")

    serving("apiserver", "kube-apiserver")
    serving("webhook", "pod-identity-webhook")
    serving("authenticator", "aws-iam-authenticator", fast=True)
    serving("oidc-issuer", "sandbox-oidc-issuer", fast=True)
    write_key(key(), "oidc-signing.key")
    for spec in specs:
        write_authentication_config(spec)
    for spec in specs[1:]:
        serving(spec["cert"], "kube-apiserver-" + spec["name"], fast=True)
    sa = key()
    write_key(sa, "sa.key")
    with open(path("pki", "sa.pub"), "wb") as f:
        f.write(sa.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo))


def authentication_config(spec):
    """The file of a cluster's --authentication-config (JWT authenticators of its OIDC identity providers)."""
    return path("pki", "authn-config-%s.json" % spec["name"])


def write_authentication_config(spec):
    with open(authentication_config(spec), "w") as f:
        json.dump(EMPTY_AUTHENTICATION_CONFIG, f, indent=2)


def oidc_issuer_url():
    return "https://127.0.0.1:%d" % PORTS["oidc-issuer"]


def start_oidc_issuer():
    start("oidc-issuer", [sys.executable, os.path.join(HERE, "oidc_issuer.py"),
                          "--listen", "127.0.0.1:%d" % PORTS["oidc-issuer"],
                          "--tls-cert", path("pki", "oidc-issuer.crt"), "--tls-key", path("pki", "oidc-issuer.key"),
                          "--signing-key", path("pki", "oidc-signing.key")])


def wait_oidc_issuer():
    wait_for("OIDC issuer", lambda: http_ok(oidc_issuer_url() + "/.well-known/openid-configuration",
                                            cafile=path("pki", "ca.crt")), 30, "oidc-issuer")


# --------------------------------------------------------------------------- AWS (moto)

def aws_env():
    return {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:%d" % PORTS["moto"],
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7SANDBOX",
        "AWS_SECRET_ACCESS_KEY": "sandbox-secret-access-key",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }


def start_moto(specs):
    """moto, seeded in-process (moto_launcher.py); returns the seeded facts."""
    facts_path = path("run", "aws-facts.json")
    clusters = [dict({k: spec[k] for k in ("name", "region", "endpoint", "mode")},
                     authentication_config=authentication_config(spec)) for spec in specs]
    start("moto", [sys.executable, os.path.join(HERE, "moto_launcher.py"), "--port", str(PORTS["moto"]),
                   "--facts", facts_path, "--clusters", json.dumps(clusters), "--ca", path("pki", "ca.crt"),
                   "--addon-manager-kubeconfig", path("kubeconfig-addon-manager"),
                   "--request-log", aws_request_log()],
          env={"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"})
    return facts_path


def aws_request_log():
    """Where moto appends every AWS request it serves (aws_request_log.py)."""
    return path("logs", "aws-requests.log")


def wait_moto(facts_path):
    wait_for("moto (seeded)", lambda: os.path.exists(facts_path), 120, "moto")
    with open(facts_path) as f:
        return json.load(f)


def extra_node_role(name):
    """The node role of cluster ``name``'s one node group (eksctl's naming)."""
    suffix = hashlib.sha256(name.encode()).hexdigest()[:6].upper()
    return "eksctl-%s-nodegroup-ng-general-NodeInstanceRole-%s" % (name, suffix)


def seed_aws(clusters):
    """A fresh EKS account: cluster roles, node roles with the CNI policy, the clusters
    (sandbox, sandbox-v6, sandbox-addon and the extra ones).

    ``clusters`` lists {name, region, endpoint, mode}; the first one is ``sandbox``; those whose mode is not
    CONFIG_MAP are ACCESS_MODE_CLUSTERS (created with that accessConfig, listed in facts["access_clusters"]).
    Runs inside moto_launcher.py, as the sandbox IAM user.
    """
    import boto3

    session = boto3.session.Session(region_name=REGION, aws_access_key_id=aws_env()["AWS_ACCESS_KEY_ID"],
                                    aws_secret_access_key=aws_env()["AWS_SECRET_ACCESS_KEY"])
    endpoint = aws_env()["AWS_ENDPOINT_URL"]
    iam = session.client("iam", endpoint_url=endpoint)
    eks = session.client("eks", endpoint_url=endpoint)

    def trust(service):
        return json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})

    cluster_role = iam.create_role(RoleName="eksClusterRole", AssumeRolePolicyDocument=trust("eks.amazonaws.com"))
    iam.attach_role_policy(RoleName="eksClusterRole", PolicyArn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")
    node_roles = []
    for _nodegroup, role_name in NODEGROUPS:
        role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust("ec2.amazonaws.com"))
        for policy in NODE_POLICIES:
            iam.attach_role_policy(RoleName=role_name, PolicyArn="arn:aws:iam::aws:policy/" + policy)
        node_roles.append(role["Role"]["Arn"])

    ipv6_policy = iam.create_policy(PolicyName=IPV6_POLICY_NAME, PolicyDocument=json.dumps(IPV6_POLICY_DOCUMENT),
                                    Description="IPv6 permissions of the Amazon VPC CNI plugin (EKS user guide)")
    ipv6_node_role = iam.create_role(RoleName=IPV6_NODEGROUP[1], AssumeRolePolicyDocument=trust("ec2.amazonaws.com"))
    for policy_arn in ("arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy", ipv6_policy["Policy"]["Arn"],
                       "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"):
        iam.attach_role_policy(RoleName=IPV6_NODEGROUP[1], PolicyArn=policy_arn)
    addon_node_role = iam.create_role(RoleName=ADDON_NODEGROUP[1], AssumeRolePolicyDocument=trust("ec2.amazonaws.com"))
    for policy in NODE_POLICIES:
        iam.attach_role_policy(RoleName=ADDON_NODEGROUP[1], PolicyArn="arn:aws:iam::aws:policy/" + policy)

    vpc = {"subnetIds": ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]}
    wanted = clusters
    clusters = {}
    for name, family in ((CLUSTER_NAME, "ipv4"), (IPV6_CLUSTER_NAME, "ipv6"), (ADDON_CLUSTER_NAME, "ipv4")):
        cluster = eks.create_cluster(name=name, version="1.34", roleArn=cluster_role["Role"]["Arn"],
                                     resourcesVpcConfig=vpc, kubernetesNetworkConfig={"ipFamily": family})["cluster"]
        clusters[name] = cluster
    auto_node_role = iam.create_role(RoleName=AUTO_MODE_NODE_ROLE, AssumeRolePolicyDocument=trust("ec2.amazonaws.com"))
    eks.create_cluster(name=AUTO_MODE_CLUSTER_NAME, version="1.34", roleArn=cluster_role["Role"]["Arn"],
                       resourcesVpcConfig=vpc, bootstrapSelfManagedAddons=False,
                       computeConfig={"enabled": True, "nodePools": ["general-purpose", "system"],
                                      "nodeRoleArn": auto_node_role["Role"]["Arn"]},
                       storageConfig={"blockStorage": {"enabled": True}},
                       kubernetesNetworkConfig={"ipFamily": "ipv4", "elasticLoadBalancing": {"enabled": True}})
    scaling = {"minSize": 1, "maxSize": 3, "desiredSize": 2}
    for (nodegroup, _role_name), role_arn in zip(NODEGROUPS, node_roles):
        eks.create_nodegroup(clusterName=CLUSTER_NAME, nodegroupName=nodegroup, nodeRole=role_arn,
                             subnets=vpc["subnetIds"], scalingConfig=scaling)
    eks.create_nodegroup(clusterName=IPV6_CLUSTER_NAME, nodegroupName=IPV6_NODEGROUP[0],
                         nodeRole=ipv6_node_role["Role"]["Arn"], subnets=vpc["subnetIds"], scalingConfig=scaling)
    eks.create_nodegroup(clusterName=ADDON_CLUSTER_NAME, nodegroupName=ADDON_NODEGROUP[0],
                         nodeRole=addon_node_role["Role"]["Arn"], subnets=vpc["subnetIds"], scalingConfig=scaling)
    issuer = clusters[CLUSTER_NAME]["identity"]["oidc"]["issuer"]
    facts = {"issuer": issuer, "node_roles": node_roles, "cluster_arn": clusters[CLUSTER_NAME]["arn"],
             "creator_arn": CREATOR_ARN,
             "ipv6_node_roles": [ipv6_node_role["Role"]["Arn"]], "ipv6_policy_arn": ipv6_policy["Policy"]["Arn"],
             "ipv6_issuer": clusters[IPV6_CLUSTER_NAME]["identity"]["oidc"]["issuer"],
             "addon_node_roles": [addon_node_role["Role"]["Arn"]],
             "addon_issuer": clusters[ADDON_CLUSTER_NAME]["identity"]["oidc"]["issuer"],
             "clusters": [{"name": CLUSTER_NAME, "region": REGION, "arn": clusters[CLUSTER_NAME]["arn"],
                           "issuer": issuer, "node_roles": node_roles, "endpoint": wanted[0]["endpoint"]}]}

    # The other clusters: one per region, each with one managed node group
    # whose role exists in IAM with the node policies.
    facts["access_clusters"] = []
    for spec in wanted[1:]:
        role_name = extra_node_role(spec["name"])
        role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust("ec2.amazonaws.com"))
        for policy in NODE_POLICIES:
            iam.attach_role_policy(RoleName=role_name, PolicyArn="arn:aws:iam::aws:policy/" + policy)
        regional = session.client("eks", endpoint_url=endpoint, region_name=spec["region"])
        mode = spec.get("mode", CONFIG_MAP_MODE)
        extra = {"accessConfig": {"authenticationMode": mode}} if mode != CONFIG_MAP_MODE else {}
        cluster = regional.create_cluster(name=spec["name"], version="1.34", roleArn=cluster_role["Role"]["Arn"],
                                          resourcesVpcConfig=vpc, kubernetesNetworkConfig={"ipFamily": "ipv4"},
                                          **extra)
        regional.create_nodegroup(clusterName=spec["name"], nodegroupName="ng-general",
                                  nodeRole=role["Role"]["Arn"], subnets=vpc["subnetIds"],
                                  scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 2})
        (facts["clusters"] if mode == CONFIG_MAP_MODE else facts["access_clusters"]).append({
            "name": spec["name"], "region": spec["region"], "arn": cluster["cluster"]["arn"],
            "issuer": cluster["cluster"]["identity"]["oidc"]["issuer"], "authentication_mode": mode,
            "node_roles": [role["Role"]["Arn"]], "endpoint": spec["endpoint"]})
    facts.update(seed_sso(session, endpoint))
    return facts


def seed_sso(session, endpoint):
    """IAM Identity Center as an account assigned to it sees it: SAML provider, AWSReservedSSO roles,
    and the SSO admin instance with its permission sets (moto makes one instance per region)."""
    iam = session.client("iam", endpoint_url=endpoint)
    sso_admin = session.client("sso-admin", endpoint_url=endpoint)
    # IAM wants at least 1000 characters of SAML metadata; the certificate is a placeholder.
    portal = "https://portal.sso.us-east-1.amazonaws.com/saml/assertion/c2FuZGJveA"
    metadata = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="%s">'
        '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
        '<ds:X509Data><ds:X509Certificate>%s</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>'
        '<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>'
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="%s"/>'
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="%s"/>'
        '</md:IDPSSODescriptor></md:EntityDescriptor>'
        % (portal, base64.b64encode(b"sandbox placeholder certificate " * 16).decode(), portal, portal))
    provider = iam.create_saml_provider(Name=SSO_SAML_PROVIDER, SAMLMetadataDocument=metadata)["SAMLProviderArn"]
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider},
        "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]})
    roles = {}
    for permission_set, role_name, role_path in SSO_ROLES:
        role = iam.create_role(RoleName=role_name, Path=role_path, AssumeRolePolicyDocument=trust,
                               Description="Identity Center permission set %s (sandbox seed)" % permission_set)
        roles[permission_set] = role["Role"]["Arn"]
    instance_arn = sso_admin.list_instances()["Instances"][0]["InstanceArn"]
    permission_sets = {}
    for name in SSO_PERMISSION_SETS:
        ps_arn = sso_admin.create_permission_set(InstanceArn=instance_arn, Name=name)["PermissionSet"]["PermissionSetArn"]
        sso_admin.provision_permission_set(InstanceArn=instance_arn, PermissionSetArn=ps_arn,
                                           TargetType="AWS_ACCOUNT", TargetId=ACCOUNT_ID)
        permission_sets[name] = ps_arn
    return {"sso_instance_arn": instance_arn, "sso_permission_sets": permission_sets, "sso_roles": roles}


def seed_addons():
    """vpc-cni as an EKS managed add-on of the add-on cluster (through moto_eks_addons), no role yet."""
    import boto3

    env = aws_env()
    eks = boto3.client("eks", region_name=REGION, endpoint_url=env["AWS_ENDPOINT_URL"],
                       aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    eks.create_addon(clusterName=ADDON_CLUSTER_NAME, addonName="vpc-cni", addonVersion="v1.20.4-eksbuild.1")


# --------------------------------------------------------------------------- Kubernetes

# vpc-cni-ipv6-policy.json of the EKS user guide.
IPV6_POLICY_DOCUMENT = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["ec2:AssignIpv6Addresses", "ec2:DescribeInstances", "ec2:DescribeTags",
                                   "ec2:DescribeNetworkInterfaces", "ec2:DescribeInstanceTypes"], "Resource": "*"},
    {"Effect": "Allow", "Action": ["ec2:CreateTags"], "Resource": ["arn:aws:ec2:*:*:network-interface/*"]}]}


def write_kubeconfig(name, token, user, cluster=CLUSTER_NAME, port=None):
    server = "https://127.0.0.1:%d" % (port or PORTS["apiserver"])
    with open(path("pki", "ca.crt"), "rb") as f:
        ca = base64.b64encode(f.read()).decode()
    config = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": cluster, "cluster": {"server": server, "certificate-authority-data": ca}}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": user + "@" + cluster, "context": {"cluster": cluster, "user": user}}],
        "current-context": user + "@" + cluster,
    }
    target = path(name)
    with open(target, "w") as f:
        json.dump(config, f, indent=2)
    os.chmod(target, 0o600)
    return target


def write_tokens():
    """The static bearer tokens, one file for every cluster; returns {key: token}."""
    tokens = {user: secrets.token_hex(16) for user in
              ("admin", "viewer", "controller-manager", "scheduler", "kwok", "webhook", "authenticator",
               "addon-manager")}
    # Static token users: name, uid, groups.  "viewer" has no RBAC grants at all,
    # the least-privileged identity tests use to prove refusals.
    users = {
        "admin": ("kubernetes-admin", "system:masters"),
        "viewer": ("sandbox-viewer", ""),
        "controller-manager": ("system:kube-controller-manager", ""),
        "scheduler": ("system:kube-scheduler", ""),
        "kwok": ("sandbox-kwok", "system:masters"),
        "webhook": ("sandbox-pod-identity-webhook", "system:masters"),
        "authenticator": ("sandbox-iam-authenticator", "system:masters"),
        "addon-manager": ("eks:addon-manager", "system:masters"),
    }
    with open(path("pki", "tokens.csv"), "w") as f:
        for key, (user, groups) in users.items():
            f.write('%s,%s,%s,"%s"\n' % (tokens[key], user, user, groups))
    os.chmod(path("pki", "tokens.csv"), 0o600)
    for key in ("webhook", "authenticator"):
        with open(path("pki", key + ".token"), "w") as f:
            f.write(tokens[key])
        os.chmod(path("pki", key + ".token"), 0o600)
    return tokens


def start_authenticator(specs):
    """The EKS token authenticator stand-in, for every cluster (iam_authenticator.py)."""
    env = aws_env()
    config = {
        "listen": "127.0.0.1:%d" % PORTS["authenticator"],
        "tls_cert": path("pki", "authenticator.crt"), "tls_key": path("pki", "authenticator.key"),
        "sts_endpoint": env["AWS_ENDPOINT_URL"],
        "aws": {"endpoint": env["AWS_ENDPOINT_URL"], "access_key_id": env["AWS_ACCESS_KEY_ID"],
                "secret_access_key": env["AWS_SECRET_ACCESS_KEY"]},
        "apiserver_ca": path("pki", "ca.crt"),
        "token_file": path("pki", "authenticator.token"),
        # seconds a token is accepted after its X-Amz-Date (EKS: 900); run/token-lifetime-<cluster> overrides it
        "token_lifetime": token_lifetime(),
        "clusters": {spec["name"]: {"apiserver": spec["endpoint"], "region": spec["region"],
                                    "creator_arn": CREATOR_ARN} for spec in specs},
    }
    with open(path("run", "authenticator.json"), "w") as f:
        json.dump(config, f, indent=2)
    start("authenticator", [sys.executable, os.path.join(HERE, "iam_authenticator.py"),
                            "--config", path("run", "authenticator.json"), "--collections", path("collections")])
    # The API server of each cluster sends its TokenReviews to /authenticate/<name>.
    for spec in specs:
        write_webhook_kubeconfig(spec)


# Longest time an API server keeps the authenticator's answer for a token (--authentication-token-webhook-cache-ttl;
# kube-apiserver's default is 2 minutes): short, so a test that shortens the token lifetime of one cluster
# (run/token-lifetime-<cluster>, at least this long) sees its tokens refused once they are older.
TOKEN_REVIEW_CACHE_SECONDS = 10


def token_lifetime():
    """EKS_SANDBOX_TOKEN_LIFETIME: seconds a token is accepted after its X-Amz-Date (1..900, default 900)."""
    value = os.environ.get("EKS_SANDBOX_TOKEN_LIFETIME", "").strip() or "900"
    try:
        seconds = int(value)
    except ValueError:
        seconds = 0
    if not 1 <= seconds <= 900:
        raise StepFailed("EKS_SANDBOX_TOKEN_LIFETIME must be 1 to 900 (seconds), got %r" % value)
    return seconds


def token_review_cache_ttl():
    """The API servers' --authentication-token-webhook-cache-ttl: never longer than the token lifetime."""
    return "%ds" % min(token_lifetime(), TOKEN_REVIEW_CACHE_SECONDS)


def write_webhook_kubeconfig(spec):
    config = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "aws-iam-authenticator", "cluster": {
            "server": "https://127.0.0.1:%d/authenticate/%s" % (PORTS["authenticator"], spec["name"]),
            "certificate-authority": path("pki", "ca.crt")}}],
        "users": [{"name": "apiserver", "user": {}}],
        "contexts": [{"name": "webhook", "context": {"cluster": "aws-iam-authenticator", "user": "apiserver"}}],
        "current-context": "webhook",
    }
    with open(path("pki", "authn-webhook-%s.kubeconfig" % spec["name"]), "w") as f:
        json.dump(config, f, indent=2)
    # The same process is the authorization webhook that enforces EKS access policies.
    config["clusters"][0]["cluster"]["server"] = "https://127.0.0.1:%d/authorize/%s" % (
        PORTS["authenticator"], spec["name"])
    with open(path("pki", "authz-webhook-%s.kubeconfig" % spec["name"]), "w") as f:
        json.dump(config, f, indent=2)


def wait_authenticator():
    wait_for("EKS token authenticator",
             lambda: http_ok("https://127.0.0.1:%d/healthz" % PORTS["authenticator"], cafile=path("pki", "ca.crt")),
             30, "authenticator")


AUDIT_USER = "kubernetes-admin"


# The sandbox's own components: their requests are not audited.
SANDBOX_COMPONENT_USERS = ["system:kube-controller-manager", "system:kube-scheduler", "system:apiserver",
                           "sandbox-kwok", "sandbox-pod-identity-webhook", "sandbox-iam-authenticator",
                           "eks:addon-manager", "sandbox-viewer"]
WRITE_VERBS = ["create", "update", "patch", "delete", "deletecollection"]


def write_audit_policy():
    """Audit at Metadata level, one event per request: every request of the operator, and every write of any
    other identity that is not a sandbox component (EKS token users: the creator's entry, migrated roles...).
    Tests read writes from here (tests/integration/test_check_mode_all_playbooks.py)."""
    with open(path("pki", "audit-policy.yaml"), "w") as f:
        json.dump({
            "apiVersion": "audit.k8s.io/v1", "kind": "Policy",
            "omitStages": ["RequestReceived", "ResponseStarted"],
            "rules": [
                {"level": "Metadata", "users": [AUDIT_USER]},
                {"level": "None", "users": SANDBOX_COMPONENT_USERS},
                {"level": "None", "userGroups": ["system:nodes", "system:serviceaccounts"]},
                {"level": "Metadata", "verbs": WRITE_VERBS},
                {"level": "None"},
            ],
        }, f, indent=2)


def audit_log(spec):
    """The audit log of a cluster's API server: audit.log for the first, audit-<name>.log for the others."""
    return path("logs", "audit.log" if spec["service"] == "apiserver" else "audit-%s.log" % spec["name"])


def apiserver_argv(spec, issuer):
    return [
        os.path.join(bindir(), "kube-apiserver"),
        "--etcd-servers", "http://127.0.0.1:%d" % PORTS["etcd"],
        "--etcd-prefix", spec["etcd_prefix"],
        "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
        "--secure-port", str(spec["port"]),
        "--tls-cert-file", path("pki", spec["cert"] + ".crt"),
        "--tls-private-key-file", path("pki", spec["cert"] + ".key"),
        "--client-ca-file", path("pki", "ca.crt"),
        "--token-auth-file", path("pki", "tokens.csv"),
        "--authentication-token-webhook-config-file", path("pki", "authn-webhook-%s.kubeconfig" % spec["name"]),
        "--authentication-token-webhook-version", "v1",
        # A review is kept no longer than a token lives (token_review_cache_ttl).
        "--authentication-token-webhook-cache-ttl", token_review_cache_ttl(),
        # Webhook: EKS access policies (the authenticator stand-in). Its answers are not cached, so an
        # association or a deleted entry counts at the next request (EKS's own delay is not modelled).
        "--authorization-mode", "Node,RBAC,Webhook",
        "--authorization-webhook-config-file", path("pki", "authz-webhook-%s.kubeconfig" % spec["name"]),
        "--authorization-webhook-version", "v1",
        "--authorization-webhook-cache-authorized-ttl", "0s",
        "--authorization-webhook-cache-unauthorized-ttl", "0s",
        # JWT authenticators of the OIDC identity provider configs associated with the cluster (none at first);
        # the API server reloads the file when moto_eks_identity_providers.py rewrites it.
        "--authentication-config", authentication_config(spec),
        "--service-account-issuer", issuer,
        "--service-account-key-file", path("pki", "sa.pub"),
        "--service-account-signing-key-file", path("pki", "sa.key"),
        "--api-audiences", issuer + ",sts.amazonaws.com",
        "--service-cluster-ip-range", "10.100.0.0/16",
        "--allow-privileged=true",
        "--enable-priority-and-fairness=false",
        "--profiling=false",
        "--event-ttl", "10m",
        # What the operator (kubernetes-admin) asks, one JSON line per request:
        # the benchmarks and reliability tests count API requests and writes here.
        "--audit-policy-file", path("pki", "audit-policy.yaml"),
        "--audit-log-path", audit_log(spec),
        "--audit-log-maxsize", "200", "--audit-log-maxbackup", "1",
    ]


def start_extra_apiservers(specs, facts, tokens):
    """kube-apiserver of clusters 2..N (same etcd, own prefix, port, cert, issuer); returns kubeconfigs."""
    issuers = {c["name"]: c["issuer"] for c in facts["clusters"] + facts["access_clusters"]}
    kubeconfigs = {}
    for spec in specs[1:]:
        start(spec["service"], apiserver_argv(spec, issuers[spec["name"]]))
        kubeconfigs[spec["name"]] = write_kubeconfig("kubeconfig-" + spec["name"], tokens["admin"], "admin",
                                                     spec["name"], spec["port"])
    return kubeconfigs


def wait_extra_apiservers(specs, tokens):
    for spec in specs[1:]:
        url = spec["endpoint"] + "/readyz"
        wait_for("kube-apiserver of " + spec["name"], lambda u=url: http_ok(u, tokens["admin"], path("pki", "ca.crt")),
                 120, spec["service"])


def start_role_aggregators(specs, tokens):
    """A kube-controller-manager per extra cluster running only the clusterrole-aggregation controller.

    On EKS every cluster's controller manager fills the aggregated ClusterRoles
    (``admin``, ``edit``, ``view`` and their ``system:aggregate-to-*`` parts);
    without it they have no rules, so a RoleBinding to ``edit`` or an access
    policy resembling it would grant nothing.  The other controllers are not
    needed on the extra clusters (no workloads run there), and each serves no
    port (``--secure-port 0``).
    """
    bins = bindir()
    for spec in specs[1:]:
        kubeconfig = write_kubeconfig("kubeconfig-controller-manager-" + spec["name"], tokens["controller-manager"],
                                      "controller-manager", spec["name"], spec["port"])
        start(aggregator_service(spec), [
            os.path.join(bins, "kube-controller-manager"),
            "--kubeconfig", kubeconfig,
            "--secure-port", "0",
            "--use-service-account-credentials=true",
            "--leader-elect=false",
            "--controllers", "clusterrole-aggregation-controller",
        ])


def wait_roles_aggregated(specs, tokens):
    """Until ClusterRole ``admin`` has rules on every extra cluster (the aggregation ran)."""
    for spec in specs[1:]:
        url = spec["endpoint"] + "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin"

        def aggregated(u=url):
            request = urllib.request.Request(u, headers={"Authorization": "Bearer " + tokens["admin"]})
            context = ssl.create_default_context(cafile=path("pki", "ca.crt"))
            try:
                with urllib.request.urlopen(request, context=context, timeout=5) as response:
                    return bool(json.load(response).get("rules"))
            except (urllib.error.URLError, OSError, ValueError):
                return False

        wait_for("aggregated ClusterRoles on " + spec["name"], aggregated, 120, aggregator_service(spec))


def start_etcd():
    bins = bindir()
    start("etcd", [os.path.join(bins, "etcd"), "--data-dir", path("etcd"), "--name", "sandbox",
                   "--listen-client-urls", "http://127.0.0.1:%d" % PORTS["etcd"],
                   "--advertise-client-urls", "http://127.0.0.1:%d" % PORTS["etcd"],
                   "--listen-peer-urls", "http://127.0.0.1:%d" % PORTS["etcd-peer"],
                   "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % PORTS["etcd-peer"],
                   "--initial-cluster", "sandbox=http://127.0.0.1:%d" % PORTS["etcd-peer"],
                   "--unsafe-no-fsync", "--quota-backend-bytes", str(1 << 30)])
    wait_for("etcd", lambda: http_ok("http://127.0.0.1:%d/health" % PORTS["etcd"]), 60, "etcd")


def start_control_plane(specs, facts, tokens):
    bins = bindir()
    start("apiserver", apiserver_argv(specs[0], facts["issuer"]))
    start_extra_apiservers(specs, facts, tokens)
    admin_kubeconfig = write_kubeconfig("kubeconfig", tokens["admin"], "admin")
    write_kubeconfig("kubeconfig-" + CLUSTER_NAME, tokens["admin"], "admin")
    write_kubeconfig("kubeconfig-viewer", tokens["viewer"], "viewer")
    write_kubeconfig("kubeconfig-addon-manager", tokens["addon-manager"], "addon-manager")
    url = "https://127.0.0.1:%d/readyz" % PORTS["apiserver"]
    wait_for("kube-apiserver", lambda: http_ok(url, tokens["admin"], path("pki", "ca.crt")), 120, "apiserver")

    kcm_kubeconfig = write_kubeconfig("kubeconfig-controller-manager", tokens["controller-manager"],
                                      "controller-manager")
    start("controller-manager", [
        os.path.join(bins, "kube-controller-manager"),
        "--kubeconfig", kcm_kubeconfig,
        "--authentication-kubeconfig", kcm_kubeconfig, "--authorization-kubeconfig", kcm_kubeconfig,
        "--bind-address", "127.0.0.1", "--secure-port", str(PORTS["controller-manager"]),
        "--service-account-private-key-file", path("pki", "sa.key"),
        "--root-ca-file", path("pki", "ca.crt"),
        "--use-service-account-credentials=true",
        "--leader-elect=false",
        # No node lifecycle controller: kwok posts node status only now and then, and the controller would
        # mark the pods of a node it thinks is late NotReady, which kwok never undoes; DaemonSet rollouts
        # would then wait forever for available pods. kwok itself keeps the nodes Ready.
        "--controllers", "*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller,"
                         "-node-lifecycle-controller",
    ])
    sched_kubeconfig = write_kubeconfig("kubeconfig-scheduler", tokens["scheduler"], "scheduler")
    start("scheduler", [
        os.path.join(bins, "kube-scheduler"),
        "--kubeconfig", sched_kubeconfig,
        "--authentication-kubeconfig", sched_kubeconfig, "--authorization-kubeconfig", sched_kubeconfig,
        "--bind-address", "127.0.0.1", "--secure-port", str(PORTS["scheduler"]),
        "--leader-elect=false",
    ])
    kwok_kubeconfig = write_kubeconfig("kubeconfig-kwok", tokens["kwok"], "kwok")
    start("kwok", [
        os.path.join(bins, "kwok"),
        "--kubeconfig", kwok_kubeconfig,
        "--manage-all-nodes=false",
        "--manage-nodes-with-annotation-selector", "kwok.x-k8s.io/node=fake",
        "--server-address", "127.0.0.1:%d" % PORTS["kwok"],
        "--cidr", "192.168.0.0/16",
        "--node-ip", "192.168.0.1",
    ])
    start("webhook", [
        sys.executable, os.path.join(HERE, "pod_identity_webhook.py"),
        "--listen", "127.0.0.1:%d" % PORTS["webhook"],
        "--tls-cert", path("pki", "webhook.crt"), "--tls-key", path("pki", "webhook.key"),
        "--apiserver", "https://127.0.0.1:%d" % PORTS["apiserver"],
        "--apiserver-ca", path("pki", "ca.crt"),
        "--token-file", path("pki", "webhook.token"),
        "--region", REGION,
        "--aws-endpoint", aws_env()["AWS_ENDPOINT_URL"],
    ], env=aws_env())
    wait_for("pod identity webhook",
             lambda: http_ok("https://127.0.0.1:%d/healthz" % PORTS["webhook"], cafile=path("pki", "ca.crt")),
             30, "webhook")
    return admin_kubeconfig


def seed_extra_cluster(kubeconfig, name):
    """Clusters 2..N: the API server's own bootstrap (namespaces, RBAC roles) is all they get.

    The access mode clusters also get what every EKS cluster has, the aws-node service account, RBAC and
    DaemonSet (with no node, so no pod), so that the VPC CNI playbooks run on a cluster of each mode.
    """
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=kubeconfig)
    core = client.CoreV1Api(api_client)
    wait_for("namespace kube-system in " + name, lambda: core.read_namespace("kube-system") is not None, 60)
    if name in [cluster for cluster, _mode, _port in ACCESS_MODE_CLUSTERS]:
        seed_aws_node(api_client)


def seed_aws_node(api_client):
    """The aws-node (Amazon VPC CNI) service account, ClusterRole, binding and DaemonSet of an EKS cluster."""
    from kubernetes import client

    core = client.CoreV1Api(api_client)
    apps = client.AppsV1Api(api_client)
    rbac = client.RbacAuthorizationV1Api(api_client)
    core.create_namespaced_service_account("kube-system", {
        "metadata": {"name": "aws-node", "labels": {"app.kubernetes.io/name": "aws-node"}}})
    rbac.create_cluster_role({
        "metadata": {"name": "aws-node"},
        "rules": [
            {"apiGroups": ["crd.k8s.amazonaws.com"], "resources": ["eniconfigs"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": [""], "resources": ["namespaces", "pods"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "watch", "patch"]},
            {"apiGroups": ["", "events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch", "list"]},
        ]})
    rbac.create_cluster_role_binding({
        "metadata": {"name": "aws-node"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "aws-node"},
        "subjects": [{"kind": "ServiceAccount", "name": "aws-node", "namespace": "kube-system"}]})
    apps.create_namespaced_daemon_set("kube-system", {
        "metadata": {"name": "aws-node", "labels": {"k8s-app": "aws-node"}},
        "spec": {
            "selector": {"matchLabels": {"k8s-app": "aws-node"}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},
            "template": {
                "metadata": {"labels": {"k8s-app": "aws-node"}},
                "spec": {
                    "serviceAccountName": "aws-node",
                    "hostNetwork": True,
                    "priorityClassName": "system-node-critical",
                    "tolerations": [{"operator": "Exists"}],
                    # The shape of the real aws-node pod: an init container and two
                    # containers, all of which the pod identity webhook mutates.
                    "initContainers": [{
                        "name": "aws-vpc-cni-init",
                        "image": "602401143452.dkr.ecr.%s.amazonaws.com/amazon-k8s-cni-init:v1.20.4" % REGION,
                        "env": [{"name": "DISABLE_TCP_EARLY_DEMUX", "value": "false"}],
                    }],
                    "containers": [{
                        "name": "aws-node",
                        "image": "602401143452.dkr.ecr.%s.amazonaws.com/amazon-k8s-cni:v1.20.4" % REGION,
                        "env": [{"name": "AWS_VPC_K8S_CNI_LOGLEVEL", "value": "DEBUG"},
                                {"name": "MY_NODE_NAME",
                                 "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
                        "resources": {"requests": {"cpu": "25m"}},
                    }, {
                        "name": "aws-eks-nodeagent",
                        "image": "602401143452.dkr.ecr.%s.amazonaws.com/amazon/aws-network-policy-agent:v1.2.7"
                                 % REGION,
                        "args": ["--enable-network-policy=false"],
                        "resources": {"requests": {"cpu": "25m"}},
                    }],
                },
            },
        }})


def seed_kubernetes(kubeconfig):
    """A fresh EKS cluster: fake nodes, the aws-node DaemonSet and its RBAC, no aws-auth."""
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=kubeconfig)
    core = client.CoreV1Api(api_client)
    admission = client.AdmissionregistrationV1Api(api_client)

    # The service account admission plugin needs the default SA; the controller
    # manager creates it, but a few seconds later than we want to go on.
    wait_for("default service account",
             lambda: core.read_namespaced_service_account("default", "kube-system") is not None, 60)

    with open(path("pki", "ca.crt"), "rb") as f:
        ca_bundle = base64.b64encode(f.read()).decode()
    admission.create_mutating_webhook_configuration({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": "pod-identity-webhook"},
        "webhooks": [{
            "name": "iam-for-pods.amazonaws.com",
            "clientConfig": {"url": "https://127.0.0.1:%d/mutate" % PORTS["webhook"], "caBundle": ca_bundle},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
            "failurePolicy": "Ignore", "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "reinvocationPolicy": "IfNeeded",
        }],
    })

    for index, name in enumerate(NODE_NAMES):
        nodegroup = NODEGROUPS[index % len(NODEGROUPS)][0]
        core.create_node({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {
                "name": name,
                "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                           "eks.amazonaws.com/nodegroup": nodegroup, "topology.kubernetes.io/region": REGION,
                           "type": "kwok"},
            },
            "spec": {"providerID": "aws:///%sa/i-0%015x" % (REGION, index + 1)},
        })

    seed_aws_node(api_client)

    def nodes_ready():
        ready = 0
        for node in core.list_node().items:
            for cond in node.status.conditions or []:
                if cond.type == "Ready" and cond.status == "True":
                    ready += 1
        return ready == len(NODE_NAMES)

    def aws_node_running():
        pods = core.list_namespaced_pod("kube-system", label_selector="k8s-app=aws-node").items
        return len(pods) == len(NODE_NAMES) and all(p.status.phase == "Running" for p in pods)

    wait_for("fake nodes Ready (kwok)", nodes_ready, 90, "kwok")
    untaint_ready_nodes(core)
    wait_for("aws-node pods Running", aws_node_running, 120, "controller-manager")


NOT_READY_TAINT = "node.kubernetes.io/not-ready"


def untaint_ready_nodes(core):
    """Remove the not-ready taint from Ready nodes, as the node lifecycle controller does on EKS.

    The API server's TaintNodesByCondition admission plugin puts
    ``node.kubernetes.io/not-ready:NoSchedule`` on every new node; the node
    lifecycle controller, which would lift it once the node is Ready, is off
    (see start_control_plane), so without this an ordinary pod never schedules.
    """
    for node in core.list_node().items:
        taints = node.spec.taints or []
        kept = [t for t in taints if t.key != NOT_READY_TAINT]
        if len(kept) != len(taints):
            core.patch_node(node.metadata.name, {"spec": {"taints": [
                {"key": t.key, "value": t.value, "effect": t.effect} for t in kept]}})


# --------------------------------------------------------------------------- commands

def link_collection():
    """.sandbox/collections/ansible_collections/eks/access -> this checkout."""
    collections = path("collections")
    link = os.path.join(collections, "ansible_collections", "eks", "access")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.islink(link):
        os.symlink(REPO, link)
    return collections


def write_env(facts):
    collections = link_collection()
    venv_bin = os.path.dirname(sys.executable)
    values = dict(aws_env())
    values.update({
        "KUBECONFIG": path("kubeconfig"),
        "K8S_AUTH_KUBECONFIG": path("kubeconfig"),
        "SANDBOX_VIEWER_KUBECONFIG": path("kubeconfig-viewer"),
        "EKS_CLUSTER_NAME": CLUSTER_NAME,
        "EKS_IPV6_CLUSTER_NAME": IPV6_CLUSTER_NAME,
        "EKS_IPV6_NODE_ROLE_ARNS": ",".join(facts["ipv6_node_roles"]),
        "EKS_IPV6_CNI_POLICY_ARN": facts["ipv6_policy_arn"],
        "EKS_ADDON_CLUSTER_NAME": ADDON_CLUSTER_NAME,
        "EKS_ADDON_NODE_ROLE_ARNS": ",".join(facts["addon_node_roles"]),
        "EKS_AUTO_MODE_CLUSTER_NAME": AUTO_MODE_CLUSTER_NAME,
        "EKS_OIDC_ISSUER": facts["issuer"],
        "EKS_NODE_ROLE_ARNS": ",".join(facts["node_roles"]),
        "EKS_SSO_INSTANCE_ARN": facts["sso_instance_arn"],
        "EKS_SSO_PERMISSION_SETS": json.dumps(facts["sso_permission_sets"], sort_keys=True),
        "AWS_ACCOUNT_ID": ACCOUNT_ID,
        "ANSIBLE_COLLECTIONS_PATH": collections,
        "ANSIBLE_PLAYBOOK": os.path.join(venv_bin, "ansible-playbook"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "SANDBOX_BIN": bindir(),
        "SANDBOX_APISERVER_URL": "https://127.0.0.1:%d" % PORTS["apiserver"],
        "EKS_SANDBOX_DIR": STATE,
        "EKS_SANDBOX_PORT_OFFSET": str(PORT_OFFSET),
        "SANDBOX_AUDIT_LOG": path("logs", "audit.log"),
        # the audit log of every other cluster's API server: $SANDBOX_AUDIT_LOG_DIR/audit-<name>.log
        "SANDBOX_AUDIT_LOG_DIR": path("logs"),
        # seconds the authenticator accepts a token (read at start; $EKS_SANDBOX_DIR/run/token-lifetime-<cluster>
        # overrides it for one cluster while the sandbox runs)
        "EKS_SANDBOX_TOKEN_LIFETIME": str(token_lifetime()),
        # every AWS request moto served, one JSON line each (service, action, access key, status)
        "SANDBOX_AWS_REQUEST_LOG": aws_request_log(),
        # name:region of every cluster with a real API server (kubeconfig: $EKS_SANDBOX_DIR/kubeconfig-<name>)
        "EKS_SANDBOX_CLUSTERS": ",".join("%s:%s" % (c["name"], c["region"]) for c in facts["clusters"]),
        # the IAM identity that created the clusters: system:masters through EKS token authentication
        # (CONFIG_MAP clusters), its access entry with AmazonEKSClusterAdminPolicy (the others)
        "EKS_CLUSTER_CREATOR_ARN": facts["creator_arn"],
        # one cluster per EKS authentication mode, in $AWS_REGION (kubeconfig: $EKS_SANDBOX_DIR/kubeconfig-<name>)
        "EKS_CONFIG_MAP_CLUSTER_NAME": CLUSTER_NAME,
        "EKS_API_AND_CONFIG_MAP_CLUSTER_NAME": ACCESS_MODE_CLUSTERS[0][0],
        "EKS_API_CLUSTER_NAME": ACCESS_MODE_CLUSTERS[1][0],
        # the local OIDC identity provider: tests mint ID tokens with POST $SANDBOX_OIDC_ISSUER_URL/_sandbox/token
        "SANDBOX_OIDC_ISSUER_URL": oidc_issuer_url(),
        # name:region:mode of the clusters whose mode reads access entries
        "EKS_SANDBOX_ACCESS_CLUSTERS": ",".join(
            "%s:%s:%s" % (c["name"], c["region"], c["authentication_mode"]) for c in facts["access_clusters"]),
    })
    with open(path("env"), "w") as f:
        f.write("# written by tests/sandbox/sandbox.py up; source it to use the sandbox\n")
        for key, value in values.items():
            f.write("export %s=%s\n" % (key, shlex_quote(value)))
    for cluster in facts["clusters"] + facts["access_clusters"]:
        cluster["kubeconfig"] = path("kubeconfig-" + cluster["name"])
    with open(path("facts.json"), "w") as f:
        json.dump(facts, f, indent=2)
    write_integration_config(values)


# ansible-test reads these two from tests/integration/ (both gitignored): the
# vars file every target's play loads, and the static config of the cloud/aws
# plugin (without it, ansible-test skips the cloud/aws targets).
INTEGRATION_CONFIG = os.path.join(REPO, "tests", "integration", "integration_config.yml")
CLOUD_CONFIG_AWS = os.path.join(REPO, "tests", "integration", "cloud-config-aws.ini")


def write_integration_config(values):
    """Targets read the sandbox as variables: ansible-test hands them no environment.

    ``sandbox_<name>`` for each variable of .sandbox/env (``sandbox_kubeconfig``,
    ``sandbox_eks_cluster_name``, ...) and ``sandbox_environment``, the
    environment the targets give their tasks (AWS endpoint and keys, kubeconfig).
    """
    import yaml

    config = {"sandbox_" + key.lower(): value for key, value in sorted(values.items())}
    config["sandbox_environment"] = {key: value for key, value in sorted(values.items())
                                     if key.startswith(("AWS_", "K8S_AUTH_")) or key == "KUBECONFIG"}
    with open(INTEGRATION_CONFIG, "w") as f:
        f.write("# written by tests/sandbox/sandbox.py up (docs/testing.md); removed by down\n")
        yaml.safe_dump(config, f, default_flow_style=False, sort_keys=True)
    aws = aws_env()
    with open(CLOUD_CONFIG_AWS, "w") as f:
        f.write("# written by tests/sandbox/sandbox.py up for ansible-test's cloud/aws targets; removed by down\n")
        f.write("[default]\naws_access_key = %s\naws_secret_key = %s\nsecurity_token =\naws_region = %s\n"
                "aws_endpoint_url = %s\n" % (aws["AWS_ACCESS_KEY_ID"], aws["AWS_SECRET_ACCESS_KEY"], aws["AWS_REGION"],
                                             aws["AWS_ENDPOINT_URL"]))


def shlex_quote(value):
    import shlex
    return shlex.quote(str(value))


def running_clusters():
    """The cluster specs of the sandbox that was last brought up ([] when none)."""
    try:
        with open(path("facts.json")) as f:
            count = len(json.load(f)["clusters"])
        return cluster_specs(count)
    except (OSError, ValueError, KeyError, StepFailed):
        return []


def healthy(specs=None):
    """Every service of the running sandbox alive and every API server ready."""
    specs = specs or running_clusters()
    if not specs or any(pid_of(name) is None for name in services(specs)) or not os.path.exists(path("env")):
        return False
    try:
        with open(path("pki", "tokens.csv")) as f:
            admin_token = f.readline().split(",")[0]
        return all(http_ok(spec["endpoint"] + "/readyz", admin_token, path("pki", "ca.crt")) for spec in specs)
    except Exception:
        return False


def cmd_up(args):
    specs = cluster_specs(args.clusters)
    running = running_clusters()
    if len(running) >= len(specs) and healthy(running):
        say("already up with %d cluster(s); nothing to do (source %s)" % (
            len(running) - len(ACCESS_MODE_CLUSTERS), path("env")))
        return 0
    t0 = time.time()
    stop_all()
    say("building missing binaries (cached in %s)" % CACHE)
    build = subprocess.run(["bash", os.path.join(HERE, "build.sh"), "all"], check=False)
    if build.returncode != 0:
        raise StepFailed("build failed (see the message above)")
    for sub in ("etcd", "pki", "run", "collections"):
        shutil.rmtree(path(sub), ignore_errors=True)
    for stale in ("env", "facts.json"):
        if os.path.exists(path(stale)):
            os.unlink(path(stale))
    for stale in os.listdir(STATE):
        if stale.startswith("kubeconfig-%s-" % CLUSTER_NAME):
            os.unlink(path(stale))
    os.makedirs(path("logs"), exist_ok=True)
    os.makedirs(path("run"), exist_ok=True)
    for log in os.listdir(path("logs")):
        os.unlink(path("logs", log))
    say("generating certificates and keys")
    make_pki(specs)
    link_collection()
    tokens = write_tokens()
    write_audit_policy()
    say("starting moto (IAM, STS, EKS, SSO admin) on 127.0.0.1:%d" % PORTS["moto"])
    say("seeding the AWS account: node roles, IAM Identity Center roles and permission sets, clusters %s (ipv4),"
        " %s (ipv6), %s (ipv4, vpc-cni add-on), %s (Auto Mode)%s"
        % (CLUSTER_NAME, IPV6_CLUSTER_NAME, ADDON_CLUSTER_NAME, AUTO_MODE_CLUSTER_NAME,
           "".join(", %s (%s, %s)" % (spec["name"], spec["region"], spec["mode"]) for spec in specs[1:])))
    facts_path = start_moto(specs)
    say("starting the EKS token authenticator on 127.0.0.1:%d, etcd" % PORTS["authenticator"])
    start_authenticator(specs)
    start_oidc_issuer()
    start_etcd()
    facts = wait_moto(facts_path)
    say("starting kube-apiserver (issuer %s)%s, controller-manager, scheduler, kwok, webhook"
        % (facts["issuer"], "".join(", kube-apiserver of %s (:%d)" % (s["name"], s["port"]) for s in specs[1:])))
    kubeconfig = start_control_plane(specs, facts, tokens)
    wait_authenticator()
    wait_oidc_issuer()
    say("seeding the cluster: %d fake nodes, aws-node DaemonSet, no aws-auth" % len(NODE_NAMES))
    seed_kubernetes(kubeconfig)
    if len(specs) > 1:
        say("waiting for the API servers of %s" % ", ".join(spec["name"] for spec in specs[1:]))
        wait_extra_apiservers(specs, tokens)
        start_role_aggregators(specs, tokens)
        for spec in specs[1:]:
            seed_extra_cluster(path("kubeconfig-" + spec["name"]), spec["name"])
        wait_roles_aggregated(specs, tokens)
    write_env(facts)
    say("up in %.0fs with %d cluster(s) and the access entry clusters %s; source %s" % (
        time.time() - t0, len(specs) - len(ACCESS_MODE_CLUSTERS), ", ".join(n for n, _m, _p in ACCESS_MODE_CLUSTERS),
        path("env")))
    return 0


def cmd_down(args):
    stop_all()
    for stale in (INTEGRATION_CONFIG, CLOUD_CONFIG_AWS):
        if os.path.exists(stale):
            os.remove(stale)
    say("stopped")
    return 0


def cmd_restart(args):
    """Start the first cluster's API server again on the state it had (for tests that stop it)."""
    if args.service != "apiserver":
        raise StepFailed("only the apiserver can be restarted on its own")
    specs = running_clusters()
    if not specs:
        raise StepFailed("no sandbox to restart the apiserver of; run up")
    with open(path("facts.json")) as f:
        issuer = json.load(f)["issuer"]
    if pid_of("apiserver") is None:
        start("apiserver", apiserver_argv(specs[0], issuer))
    with open(path("pki", "tokens.csv")) as f:
        admin_token = f.readline().split(",")[0]
    wait_for("kube-apiserver", lambda: http_ok(specs[0]["endpoint"] + "/readyz", admin_token, path("pki", "ca.crt")),
             120, "apiserver")
    say("apiserver running (pid %d)" % pid_of("apiserver"))
    return 0


def cmd_status(args):
    specs = running_clusters()
    for name in services(specs) if specs else running_services():
        pid = pid_of(name)
        print("%-28s %s" % (name, "running (pid %d)" % pid if pid else "stopped"))
    for spec in specs:
        print("%-28s %s %s" % ("cluster " + spec["name"], spec["region"], spec["endpoint"]))
    ok = healthy(specs)
    print("%-28s %s" % ("healthy", "yes" if ok else "no"))
    return 0 if ok else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description="eks.access local sandbox")
    parser.add_argument("command", choices=["up", "down", "status", "restart"])
    parser.add_argument("service", nargs="?", help="restart: the service to start again (apiserver)")
    parser.add_argument("--clusters", type=int, default=1,
                        help="up: how many clusters with a real API server (1-%d, default 1)" % FLEET_MAX_CLUSTERS)
    args = parser.parse_args(argv)
    os.makedirs(STATE, exist_ok=True)
    try:
        return {"up": cmd_up, "down": cmd_down, "status": cmd_status, "restart": cmd_restart}[args.command](args)
    except StepFailed as e:
        say("FAILED: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
