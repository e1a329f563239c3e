# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A local "EKS-like" sandbox made of real servers, on loopback.

    sandbox.py up        build what is missing, start everything, seed, wait healthy
    sandbox.py down      stop everything
    sandbox.py status    say what runs

Pieces: etcd, kube-apiserver, kube-controller-manager and kube-scheduler built
from the Go module proxy (build.sh); kwok faking nodes and pod status; moto in
server mode as IAM/STS/EKS/SSO admin; the pod identity webhook stand-in
(pod_identity_webhook.py).  State lives in ``.sandbox/`` of the checkout and is
rebuilt on every start, so each run begins from a fresh EKS account and cluster.

Run it with the project venv's Python (it needs boto3, kubernetes, cryptography).
"""

import argparse
import base64
import datetime
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
ACCOUNT_ID = "123456789012"  # moto's default account

PORTS = {
    "etcd": 12379,
    "etcd-peer": 12380,
    "apiserver": 16443,
    "moto": 15000,
    "webhook": 16445,
    "controller-manager": 16257,
    "scheduler": 16259,
    "kwok": 16247,
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
# The IPv6 cluster's node role carries the guide's customer managed IPv6 CNI
# policy instead of AmazonEKS_CNI_Policy; the add-on cluster's node role is
# like the sandbox's. Both clusters share the sandbox API server in tests.
IPV6_POLICY_NAME = "AmazonEKS_CNI_IPv6_Policy"
IPV6_NODEGROUP = ("ng-v6", "eksctl-sandbox-v6-nodegroup-ng-v6-NodeInstanceRole-7G8H9I")
ADDON_NODEGROUP = ("ng-addon", "eksctl-sandbox-addon-nodegroup-ng-addon-NodeInstanceRole-0J1K2L")
SERVICES = ["moto", "etcd", "apiserver", "controller-manager", "scheduler", "kwok", "webhook"]


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


def stop_all():
    for name in reversed(SERVICES):
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

def make_pki():
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
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

    def serving(name, cn):
        k = key()
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
    sa = key()
    write_key(sa, "sa.key")
    with open(path("pki", "sa.pub"), "wb") as f:
        f.write(sa.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo))


# --------------------------------------------------------------------------- AWS (moto)

def aws_env():
    return {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:%d" % PORTS["moto"],
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7SANDBOX",
        "AWS_SECRET_ACCESS_KEY": "sandbox-secret-access-key",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }


def start_moto():
    """moto, seeded in-process (moto_launcher.py); returns the seeded facts."""
    facts_path = path("run", "aws-facts.json")
    start("moto", [sys.executable, os.path.join(HERE, "moto_launcher.py"), "--port", str(PORTS["moto"]),
                   "--facts", facts_path, "--apiserver", "https://127.0.0.1:%d" % PORTS["apiserver"],
                   "--ca", path("pki", "ca.crt"),
                   "--addon-manager-kubeconfig", path("kubeconfig-addon-manager")],
          env={"MOTO_IAM_LOAD_MANAGED_POLICIES": "true"})
    wait_for("moto (seeded)", lambda: os.path.exists(facts_path), 120, "moto")
    with open(facts_path) as f:
        return json.load(f)


def seed_aws():
    """A fresh EKS account: cluster roles, node roles with the CNI policy, three clusters."""
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
    clusters = {}
    for name, family in ((CLUSTER_NAME, "ipv4"), (IPV6_CLUSTER_NAME, "ipv6"), (ADDON_CLUSTER_NAME, "ipv4")):
        cluster = eks.create_cluster(name=name, version="1.34", roleArn=cluster_role["Role"]["Arn"],
                                     resourcesVpcConfig=vpc, kubernetesNetworkConfig={"ipFamily": family})["cluster"]
        clusters[name] = cluster
    scaling = {"minSize": 1, "maxSize": 3, "desiredSize": 2}
    for (nodegroup, _role_name), role_arn in zip(NODEGROUPS, node_roles):
        eks.create_nodegroup(clusterName=CLUSTER_NAME, nodegroupName=nodegroup, nodeRole=role_arn,
                             subnets=vpc["subnetIds"], scalingConfig=scaling)
    eks.create_nodegroup(clusterName=IPV6_CLUSTER_NAME, nodegroupName=IPV6_NODEGROUP[0],
                         nodeRole=ipv6_node_role["Role"]["Arn"], subnets=vpc["subnetIds"], scalingConfig=scaling)
    eks.create_nodegroup(clusterName=ADDON_CLUSTER_NAME, nodegroupName=ADDON_NODEGROUP[0],
                         nodeRole=addon_node_role["Role"]["Arn"], subnets=vpc["subnetIds"], scalingConfig=scaling)
    issuer = clusters[CLUSTER_NAME]["identity"]["oidc"]["issuer"]
    return {"issuer": issuer, "node_roles": node_roles, "cluster_arn": clusters[CLUSTER_NAME]["arn"],
            "ipv6_node_roles": [ipv6_node_role["Role"]["Arn"]], "ipv6_policy_arn": ipv6_policy["Policy"]["Arn"],
            "ipv6_issuer": clusters[IPV6_CLUSTER_NAME]["identity"]["oidc"]["issuer"],
            "addon_node_roles": [addon_node_role["Role"]["Arn"]],
            "addon_issuer": clusters[ADDON_CLUSTER_NAME]["identity"]["oidc"]["issuer"]}


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


def write_kubeconfig(name, token, user):
    server = "https://127.0.0.1:%d" % PORTS["apiserver"]
    with open(path("pki", "ca.crt"), "rb") as f:
        ca = base64.b64encode(f.read()).decode()
    config = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": CLUSTER_NAME, "cluster": {"server": server, "certificate-authority-data": ca}}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": user + "@" + CLUSTER_NAME, "context": {"cluster": CLUSTER_NAME, "user": user}}],
        "current-context": user + "@" + CLUSTER_NAME,
    }
    target = path(name)
    with open(target, "w") as f:
        json.dump(config, f, indent=2)
    os.chmod(target, 0o600)
    return target


def start_control_plane(issuer):
    bins = bindir()
    tokens = {user: secrets.token_hex(16) for user in
              ("admin", "viewer", "controller-manager", "scheduler", "kwok", "webhook", "addon-manager")}
    # Static token users: name, uid, groups.  "viewer" has no RBAC grants at all,
    # the least-privileged identity tests use to prove refusals.
    users = {
        "admin": ("kubernetes-admin", "system:masters"),
        "viewer": ("sandbox-viewer", ""),
        "controller-manager": ("system:kube-controller-manager", ""),
        "scheduler": ("system:kube-scheduler", ""),
        "kwok": ("sandbox-kwok", "system:masters"),
        "webhook": ("sandbox-pod-identity-webhook", "system:masters"),
        "addon-manager": ("eks:addon-manager", "system:masters"),
    }
    with open(path("pki", "tokens.csv"), "w") as f:
        for key, (user, groups) in users.items():
            f.write('%s,%s,%s,"%s"\n' % (tokens[key], user, user, groups))
    os.chmod(path("pki", "tokens.csv"), 0o600)
    with open(path("pki", "webhook.token"), "w") as f:
        f.write(tokens["webhook"])

    start("etcd", [os.path.join(bins, "etcd"), "--data-dir", path("etcd"), "--name", "sandbox",
                   "--listen-client-urls", "http://127.0.0.1:%d" % PORTS["etcd"],
                   "--advertise-client-urls", "http://127.0.0.1:%d" % PORTS["etcd"],
                   "--listen-peer-urls", "http://127.0.0.1:%d" % PORTS["etcd-peer"],
                   "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % PORTS["etcd-peer"],
                   "--initial-cluster", "sandbox=http://127.0.0.1:%d" % PORTS["etcd-peer"],
                   "--unsafe-no-fsync", "--quota-backend-bytes", str(1 << 30)])
    wait_for("etcd", lambda: http_ok("http://127.0.0.1:%d/health" % PORTS["etcd"]), 60, "etcd")

    start("apiserver", [
        os.path.join(bins, "kube-apiserver"),
        "--etcd-servers", "http://127.0.0.1:%d" % PORTS["etcd"],
        "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1",
        "--secure-port", str(PORTS["apiserver"]),
        "--tls-cert-file", path("pki", "apiserver.crt"), "--tls-private-key-file", path("pki", "apiserver.key"),
        "--client-ca-file", path("pki", "ca.crt"),
        "--token-auth-file", path("pki", "tokens.csv"),
        "--authorization-mode", "Node,RBAC",
        "--service-account-issuer", issuer,
        "--service-account-key-file", path("pki", "sa.pub"),
        "--service-account-signing-key-file", path("pki", "sa.key"),
        "--api-audiences", issuer + ",sts.amazonaws.com",
        "--service-cluster-ip-range", "10.100.0.0/16",
        "--allow-privileged=true",
        "--enable-priority-and-fairness=false",
        "--profiling=false",
        "--event-ttl", "10m",
    ])
    admin_kubeconfig = write_kubeconfig("kubeconfig", tokens["admin"], "admin")
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
    ])
    wait_for("pod identity webhook",
             lambda: http_ok("https://127.0.0.1:%d/healthz" % PORTS["webhook"], cafile=path("pki", "ca.crt")),
             30, "webhook")
    return admin_kubeconfig


def seed_kubernetes(kubeconfig):
    """A fresh EKS cluster: fake nodes, the aws-node DaemonSet and its RBAC, no aws-auth."""
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=kubeconfig)
    core = client.CoreV1Api(api_client)
    apps = client.AppsV1Api(api_client)
    rbac = client.RbacAuthorizationV1Api(api_client)
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
    wait_for("aws-node pods Running", aws_node_running, 120, "controller-manager")


# --------------------------------------------------------------------------- commands

def write_env(facts):
    collections = path("collections")
    link = os.path.join(collections, "ansible_collections", "eks", "access")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.islink(link):
        os.symlink(REPO, link)
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
        "EKS_OIDC_ISSUER": facts["issuer"],
        "EKS_NODE_ROLE_ARNS": ",".join(facts["node_roles"]),
        "AWS_ACCOUNT_ID": ACCOUNT_ID,
        "ANSIBLE_COLLECTIONS_PATH": collections,
        "ANSIBLE_PLAYBOOK": os.path.join(venv_bin, "ansible-playbook"),
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "SANDBOX_BIN": bindir(),
        "SANDBOX_APISERVER_URL": "https://127.0.0.1:%d" % PORTS["apiserver"],
        "EKS_SANDBOX_DIR": STATE,
        "EKS_SANDBOX_PORT_OFFSET": str(PORT_OFFSET),
    })
    with open(path("env"), "w") as f:
        f.write("# written by tests/sandbox/sandbox.py up; source it to use the sandbox\n")
        for key, value in values.items():
            f.write("export %s=%s\n" % (key, shlex_quote(value)))
    with open(path("facts.json"), "w") as f:
        json.dump(facts, f, indent=2)


def shlex_quote(value):
    import shlex
    return shlex.quote(str(value))


def healthy():
    if any(pid_of(name) is None for name in SERVICES) or not os.path.exists(path("env")):
        return False
    try:
        with open(path("pki", "tokens.csv")) as f:
            admin_token = f.readline().split(",")[0]
        return http_ok("https://127.0.0.1:%d/readyz" % PORTS["apiserver"], admin_token, path("pki", "ca.crt"))
    except Exception:
        return False


def cmd_up(args):
    if healthy():
        say("already up; nothing to do (source %s)" % path("env"))
        return 0
    t0 = time.time()
    stop_all()
    say("building missing binaries (cached in %s)" % CACHE)
    build = subprocess.run(["bash", os.path.join(HERE, "build.sh"), "all"], check=False)
    if build.returncode != 0:
        raise StepFailed("build failed (see the message above)")
    for sub in ("etcd", "pki", "run", "collections"):
        shutil.rmtree(path(sub), ignore_errors=True)
    os.makedirs(path("logs"), exist_ok=True)
    for log in os.listdir(path("logs")):
        os.unlink(path("logs", log))
    say("generating certificates and keys")
    make_pki()
    say("starting moto (IAM, STS, EKS, SSO admin) on 127.0.0.1:%d" % PORTS["moto"])
    say("seeding the AWS account: node roles, clusters %s (ipv4), %s (ipv6) and %s (ipv4, vpc-cni add-on)"
        % (CLUSTER_NAME, IPV6_CLUSTER_NAME, ADDON_CLUSTER_NAME))
    facts = start_moto()
    say("starting etcd, kube-apiserver (issuer %s), controller-manager, scheduler, kwok, webhook" % facts["issuer"])
    kubeconfig = start_control_plane(facts["issuer"])
    say("seeding the cluster: %d fake nodes, aws-node DaemonSet, no aws-auth" % len(NODE_NAMES))
    seed_kubernetes(kubeconfig)
    write_env(facts)
    say("up in %.0fs; source %s" % (time.time() - t0, path("env")))
    return 0


def cmd_down(args):
    stop_all()
    say("stopped")
    return 0


def cmd_status(args):
    for name in SERVICES:
        pid = pid_of(name)
        print("%-20s %s" % (name, "running (pid %d)" % pid if pid else "stopped"))
    print("%-20s %s" % ("healthy", "yes" if healthy() else "no"))
    return 0 if healthy() else 1


def main(argv=None):
    parser = argparse.ArgumentParser(description="eks.access local sandbox")
    parser.add_argument("command", choices=["up", "down", "status"])
    args = parser.parse_args(argv)
    os.makedirs(STATE, exist_ok=True)
    try:
        return {"up": cmd_up, "down": cmd_down, "status": cmd_status}[args.command](args)
    except StepFailed as e:
        say("FAILED: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
