# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A token-review webhook with the contract of aws-iam-authenticator v0.6.13, for the sandbox.

The real authenticator only accepts pre-signed URLs for AWS's own STS hosts,
so it cannot verify tokens minted against moto.  This stand-in does, step for
step, what its server does (pkg/token Verify, pkg/arn Canonicalize, the
ConfigMap mapper and renderTemplate), with the sandbox's moto as the STS host:

1. the bearer token must be ``k8s-aws-v1.`` + base64url (no padding) of a URL
   of at most 4 KiB, with the moto endpoint's scheme and host, path ``/``,
   only the allowed query parameters, each once, ``Action=GetCallerIdentity``,
   ``x-k8s-aws-id`` among ``X-Amz-SignedHeaders``, ``X-Amz-Expires`` between
   0 and 900, and an ``X-Amz-Date`` at most 15 minutes old (EKS's token
   lifetime; the sandbox's is ``token_lifetime`` of its config, from
   ``EKS_SANDBOX_TOKEN_LIFETIME``, and a test may shorten it for one cluster
   with the file ``token-lifetime-<cluster>`` beside the config, see
   ``token_lifetime``);
2. the URL is sent to moto with ``x-k8s-aws-id: <this cluster's name>``; moto
   (see sts_query_auth.py) checks the signature as STS does, so a token
   minted for another cluster, or tampered with, is refused there;
3. the caller ARN STS returns is canonicalized (an assumed role becomes its
   role ARN; anything but an IAM user, role, root or STS assumed role or
   federated user is refused);
4. the cluster creator is ``kubernetes-admin`` in ``system:masters`` (EKS
   maps the identity that created the cluster that way, without aws-auth);
   anyone else is looked up, case-insensitively, in ``mapRoles`` then
   ``mapUsers`` of that cluster's ``kube-system/aws-auth``, read with the
   collection's own parser (plugins/module_utils/model/aws_auth/parse.py); an account in
   ``mapAccounts`` admits its identities under their ARN with no groups;
5. ``{{AccountID}}``, ``{{SessionName}}`` (``@`` becomes ``-``),
   ``{{SessionNameRaw}}``, ``{{AccessKeyID}}`` and ``{{EC2PrivateDNSName}}``
   (the private DNS name of the EC2 instance the session is named after, read
   from moto's EC2) are rendered in the username and groups.

Step 4 depends on the cluster's authentication mode (EKS's
``accessConfig.authenticationMode``, read from the sandbox's moto on every
review, see moto_eks_access.py):

* ``CONFIG_MAP``: as above; access entries are not read;
* ``API_AND_CONFIG_MAP``: an access entry of the principal wins (its username
  and groups, templates rendered); without one, aws-auth as above (no
  implicit creator mapping: EKS gave the creator an access entry);
* ``API``: access entries only; aws-auth is never read.

An entry matches the identity by the principal's unique ID (RoleId /
UserId) recorded when the entry was created, so a role ARN with a path
matches its sessions (the opposite of aws-auth).

Anything else is answered ``authenticated: false`` with the reason in
``status.error``, which the API server turns into 401 Unauthorized.

The same process is the API servers' authorization webhook
(``--authorization-mode=Node,RBAC,Webhook``): a SubjectAccessReview for an
identity this authenticator admitted, on a cluster in an ``API`` mode, is
allowed when one of the access policies associated with the identity's
access entry grants it (eks_access_rules.policies_allow: the rules of the
ClusterRole the policy resembles, read from that API server with its
aggregation applied, at the association's cluster or namespace scope).
Otherwise the answer is "no opinion", so RBAC's refusal stands.

One process serves every sandbox cluster: the API server of cluster NAME
posts its TokenReviews to ``/authenticate/NAME`` and its
SubjectAccessReviews to ``/authorize/NAME``.
"""

import argparse
import base64
import binascii
import datetime
import json
import os
import re
import ssl
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import ThreadingHTTPServer

import eks_access_rules
from json_http import JSONRequestHandler

TOKEN_PREFIX = "k8s-aws-v1."
MAX_TOKEN_LEN = 4 * 1024
CLUSTER_ID_HEADER = "x-k8s-aws-id"
PRESIGNED_URL_EXPIRATION = datetime.timedelta(minutes=15)
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
ALLOWED_PARAMETERS = {
    "action", "version", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires",
    "x-amz-security-token", "x-amz-signature", "x-amz-signedheaders",
}
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")
INSTANCE_ID_RE = re.compile(r"^i-(\w{8}|\w{17})$")
CREATOR_USERNAME = "kubernetes-admin"
CREATOR_GROUPS = ("system:masters",)


class Refused(Exception):
    """The token is not accepted; the message says why."""


# --------------------------------------------------------------------------- the token (pure)

def decode_token(token, sts_endpoint, now, lifetime=PRESIGNED_URL_EXPIRATION):
    """Check a bearer token like aws-iam-authenticator's Verify, up to the STS call.

    Returns (url, lower-cased query parameters).  ``sts_endpoint`` is the only
    accepted ``scheme://host[:port]``; ``lifetime`` (a timedelta): how long
    after its X-Amz-Date a token is accepted (EKS: 15 minutes).
    """
    if len(token) > MAX_TOKEN_LEN:
        raise Refused("token is too large")
    if not token.startswith(TOKEN_PREFIX):
        raise Refused("token is missing expected %r prefix" % TOKEN_PREFIX)
    body = token[len(TOKEN_PREFIX):]
    # Go's base64.RawURLEncoding: URL alphabet, no padding.
    if "=" in body or not re.match(r"^[A-Za-z0-9_-]*$", body) or len(body) % 4 == 1:
        raise Refused("token is not base64url without padding")
    try:
        url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as e:
        raise Refused("token does not decode: %s" % e)
    parsed = urllib.parse.urlsplit(url)
    want = urllib.parse.urlsplit(sts_endpoint)
    if parsed.scheme != want.scheme:
        raise Refused("unexpected scheme %r in pre-signed URL" % parsed.scheme)
    if parsed.netloc != want.netloc:
        raise Refused("unexpected hostname %r in pre-signed URL" % parsed.netloc)
    if parsed.path != "/":
        raise Refused("unexpected path in pre-signed URL")
    try:
        pairs = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True, strict_parsing=bool(parsed.query))
    except ValueError:
        raise Refused("malformed query parameter")
    params = {}
    for key, value in pairs:
        lower = key.lower()
        if lower in params:
            raise Refused("duplicate query parameter found: %r" % key)
        if lower not in ALLOWED_PARAMETERS:
            raise Refused("non-whitelisted query parameter %r" % key)
        params[lower] = value
    if params.get("action") != "GetCallerIdentity":
        raise Refused("unexpected action parameter in pre-signed URL")
    signed = [h.lower() for h in params.get("x-amz-signedheaders", "").split(";")]
    if CLUSTER_ID_HEADER not in signed:
        raise Refused("client did not sign the %s header in the pre-signed URL" % CLUSTER_ID_HEADER)
    try:
        expires = int(params.get("x-amz-expires", ""))
    except ValueError:
        expires = -1
    if expires < 0 or expires > 900:
        raise Refused("invalid X-Amz-Expires parameter in pre-signed URL: %s" % params.get("x-amz-expires"))
    if not params.get("x-amz-date"):
        raise Refused("X-Amz-Date parameter must be present in pre-signed URL")
    try:
        date = datetime.datetime.strptime(params["x-amz-date"], DATE_FORMAT).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise Refused("error parsing X-Amz-Date parameter %s" % params["x-amz-date"])
    if now > date + lifetime:
        raise Refused("X-Amz-Date parameter is expired (%s expiration) %s" % (_describe(lifetime), date))
    return url, params


def _describe(lifetime):
    seconds = int(lifetime.total_seconds())
    return "%d minute" % (seconds // 60) if seconds % 60 == 0 else "%d second" % seconds


def lifetime_from(value, default=PRESIGNED_URL_EXPIRATION):
    """A token lifetime (timedelta) from seconds as text (EKS_SANDBOX_TOKEN_LIFETIME); ``default`` when empty."""
    if value is None or not str(value).strip():
        return default
    seconds = int(str(value).strip())
    if not 1 <= seconds <= 900:
        raise ValueError("a token lifetime is 1 to 900 seconds, got %d" % seconds)
    return datetime.timedelta(seconds=seconds)


def canonicalize(arn):
    """(principal type, canonical ARN) like pkg/arn Canonicalize; raises Refused."""
    parts = arn.split(":", 5) if isinstance(arn, str) else []
    if len(parts) != 6 or parts[0] != "arn":
        raise Refused("arn %r is invalid" % (arn,))
    _arn, partition, service, _region, account, resource = parts
    if partition not in PARTITIONS:
        raise Refused("arn %r does not have a recognized partition" % arn)
    pieces = resource.split("/")
    if service == "sts":
        if pieces[0] == "federated-user":
            return "federated-user", arn
        if pieces[0] == "assumed-role":
            if len(pieces) < 3:
                raise Refused("assumed-role arn %r does not have a role" % arn)
            return "assumed-role", "arn:%s:iam::%s:role/%s" % (partition, account, "/".join(pieces[1:-1]))
        raise Refused("unrecognized resource %s for service sts" % resource)
    if service == "iam" and pieces[0] in ("role", "user", "root"):
        return pieces[0], arn
    if service == "iam":
        raise Refused("unrecognized resource %s for service iam" % resource)
    raise Refused("service %s in arn %s is not a valid service for identities" % (service, arn))


def identity_from_sts(result, access_key_id):
    """The identity of a GetCallerIdentity result (Arn, Account, UserId)."""
    principal, canonical = canonicalize(result.get("Arn"))
    identity = {"arn": result["Arn"], "canonical_arn": canonical, "principal_type": principal,
                "account": result.get("Account", ""),
                "user_id": result.get("UserId", ""), "session_name": "", "access_key_id": access_key_id}
    if principal not in ("federated-user", "user", "root"):
        user_id = identity["user_id"].split(":")
        if len(user_id) != 2:
            raise Refused("malformed UserID %r" % identity["user_id"])
        identity["user_id"], identity["session_name"] = user_id
    return identity


def parse_sts_response(body):
    """Arn/Account/UserId from STS's JSON (what the authenticator asks for) or XML answer."""
    text = body.decode("utf-8", "replace").strip()
    if text.startswith("{"):
        data = json.loads(text)
        return data["GetCallerIdentityResponse"]["GetCallerIdentityResult"]
    import xml.etree.ElementTree as ET

    root = ET.fromstring(text)
    result = {}
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag in ("Arn", "Account", "UserId"):
            result[tag] = (element.text or "").strip()
    if "Arn" not in result:
        raise Refused("no Arn in the STS response")
    return result


# --------------------------------------------------------------------------- the mapping (pure)

def find_mapping(identity, aws_auth_data):
    """(username template, group templates) for ``identity`` from aws-auth ``data``.

    Like the ConfigMap mapper: roles first, then users, keyed by the lower-cased
    ARN exactly as written (a rolearn with a path never matches a session),
    then ``mapAccounts`` (username = canonical ARN, no groups).  Raises Refused.
    """
    from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import errors as aws_auth_errors
    from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse

    try:
        parsed = aws_auth_parse.parse_aws_auth(aws_auth_data)
    except aws_auth_errors.AwsAuthError as e:
        raise Refused("aws-auth does not parse: %s" % e)
    wanted = identity["canonical_arn"].lower()
    for entries, key in ((parsed.map_roles, "rolearn"), (parsed.map_users, "userarn")):
        found = None
        for entry in entries:
            # The authenticator keeps the last entry of a duplicated ARN.
            if (entry.get(key) or "").lower() == wanted:
                found = entry
        if found is not None:
            return found.get("username", ""), list(found.get("groups") or [])
    if identity["account"] in parsed.map_accounts:
        return identity["canonical_arn"], []
    raise Refused("ARN is not mapped: %s" % identity["canonical_arn"])


def render(template, identity, dns_name_of=None):
    """renderTemplate: fill in the aws-auth placeholders.

    ``dns_name_of(instance_id)`` gives an EC2 instance's private DNS name.
    """
    if "{{EC2PrivateDNSName}}" in template:
        if not INSTANCE_ID_RE.match(identity["session_name"]):
            raise Refused("SessionName did not contain an instance id")
        if dns_name_of is None:
            raise Refused("no EC2 API to look up %s" % identity["session_name"])
        template = template.replace("{{EC2PrivateDNSName}}", dns_name_of(identity["session_name"]))
    template = template.replace("{{AccountID}}", identity["account"])
    template = template.replace("{{SessionName}}", identity["session_name"].replace("@", "-"))
    template = template.replace("{{SessionNameRaw}}", identity["session_name"])
    return template.replace("{{AccessKeyID}}", identity["access_key_id"])


def find_access_entry(identity, entries):
    """The access entry of ``identity`` among ``entries`` (access_state's), else None.

    By the principal's unique ID when the entry has one (what EKS binds an
    entry to), else by account and name (a session's ARN has no role path).
    """
    principal, canonical = identity.get("principal_type"), identity["canonical_arn"]
    for entry in entries:
        if entry.get("principalId"):
            if entry["principalId"] == identity["user_id"]:
                return entry
            continue
        try:
            wanted = eks_access_rules.parse_principal(entry["principalArn"])
        except eks_access_rules.EksRefusal:
            continue
        kind = "role" if principal == "assumed-role" else principal
        if canonical == "arn:%s:iam::%s:%s/%s" % (wanted["partition"], wanted["account"], wanted["kind"],
                                                  wanted["path"] if kind == "user" else wanted["name"]) \
                and kind == wanted["kind"]:
            return entry
    return None


def map_identity(identity, creator_arn, read_aws_auth, dns_name_of=None, access_state=None):
    """(username, groups) for an authenticated identity, or Refused.

    ``read_aws_auth()`` returns the ConfigMap's data (None when there is none);
    ``access_state`` is the cluster's mode and access entries (None: CONFIG_MAP).
    """
    mode = (access_state or {}).get("authenticationMode", "CONFIG_MAP")
    if mode != "CONFIG_MAP":
        entry = find_access_entry(identity, access_state.get("accessEntries") or [])
        if entry is not None:
            return (render(entry["username"], identity, dns_name_of),
                    [render(g, identity, dns_name_of) for g in entry["kubernetesGroups"]])
        if mode == "API":
            raise Refused("no access entry for %s (authentication mode API: aws-auth is not read)"
                          % identity["canonical_arn"])
    elif creator_arn and identity["canonical_arn"].lower() == creator_arn.lower():
        return CREATOR_USERNAME, list(CREATOR_GROUPS)
    username, groups = find_mapping(identity, read_aws_auth())
    return render(username, identity, dns_name_of), [render(g, identity, dns_name_of) for g in groups]


def review_response(api_version, username=None, identity=None, groups=None, error=None):
    """The TokenReview the API server gets back."""
    status = {"authenticated": False}
    if error is not None:
        status["error"] = error
    else:
        status = {"authenticated": True, "user": {
            "username": username,
            "uid": "aws-iam-authenticator:%s:%s" % (identity["account"], identity["user_id"]),
            "groups": groups,
            "extra": {"arn": [identity["arn"]], "canonicalArn": [identity["canonical_arn"]],
                      "sessionName": [identity["session_name"]], "accessKeyId": [identity["access_key_id"]],
                      "principalId": [identity["user_id"]]},
        }}
    return {"apiVersion": api_version or "authentication.k8s.io/v1", "kind": "TokenReview", "status": status}


# --------------------------------------------------------------------------- I/O

CONFIG = {}


def token_lifetime(cluster_name):
    """How long a token is accepted on that cluster: ``token-lifetime-<cluster>`` beside the config (seconds;
    tests write it to shorten the lifetime of one cluster while the sandbox runs), else ``token_lifetime`` of
    the config (EKS_SANDBOX_TOKEN_LIFETIME when the sandbox started), else 15 minutes."""
    override = os.path.join(CONFIG.get("run_dir") or "", "token-lifetime-%s" % cluster_name)
    try:
        with open(override) as f:
            return lifetime_from(f.read())
    except (OSError, ValueError):
        pass
    return lifetime_from(CONFIG.get("token_lifetime"))


def private_dns_name(region, instance_id):
    import boto3

    aws = CONFIG["aws"]
    ec2 = boto3.client("ec2", region_name=region, endpoint_url=aws["endpoint"],
                       aws_access_key_id=aws["access_key_id"], aws_secret_access_key=aws["secret_access_key"])
    try:
        reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        return reservations[0]["Instances"][0]["PrivateDnsName"]
    except Exception as e:
        raise Refused("no private DNS name for %s: %s" % (instance_id, e))


def call_sts(url, cluster_name):
    request = urllib.request.Request(url, headers={CLUSTER_ID_HEADER: cluster_name, "accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return parse_sts_response(response.read())
    except urllib.error.HTTPError as e:
        body = e.read()[:300].decode("utf-8", "replace")
        raise Refused("error from AWS (expected 200, got %d). Body: %s" % (e.code, body))
    except urllib.error.URLError as e:
        raise Refused("error during GET: %s" % e.reason)


def read_aws_auth(cluster):
    url = cluster["apiserver"] + "/api/v1/namespaces/kube-system/configmaps/aws-auth"
    request = urllib.request.Request(url, headers={"Authorization": "Bearer " + CONFIG["token"]})
    ctx = ssl.create_default_context(cafile=CONFIG["apiserver_ca"])
    try:
        with urllib.request.urlopen(request, context=ctx, timeout=10) as response:
            return json.load(response).get("data")
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise Refused("reading kube-system/aws-auth failed: HTTP %d" % e.code)


def read_access_state(cluster_name, cluster):
    """The cluster's mode and access entries from the sandbox's moto (None: not an EKS cluster there)."""
    url = "%s/_sandbox/eks/access/%s/%s" % (CONFIG["aws"]["endpoint"], cluster["region"],
                                            urllib.parse.quote(cluster_name))
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise Refused("reading the cluster's access entries failed: HTTP %d" % e.code)
    except urllib.error.URLError as e:
        raise Refused("reading the cluster's access entries failed: %s" % e.reason)


_ROLE_CACHE = {}
_ROLE_CACHE_LOCK = threading.Lock()
ROLE_CACHE_SECONDS = 30


def kube_get(cluster, path):
    request = urllib.request.Request(cluster["apiserver"] + path, headers={"Authorization": "Bearer " + CONFIG["token"]})
    ctx = ssl.create_default_context(cafile=CONFIG["apiserver_ca"])
    with urllib.request.urlopen(request, context=ctx, timeout=10) as response:
        return json.load(response)


def cluster_role_rules(cluster_name, cluster, name):
    """The rules of ClusterRole ``name`` on that cluster, as the RBAC authorizer reads them.

    Every sandbox cluster runs the ClusterRole aggregation controller, so an
    aggregated role (admin, edit, view) holds its full rules, as on EKS.
    Cached for ROLE_CACHE_SECONDS.
    """
    key = (cluster_name, name)
    with _ROLE_CACHE_LOCK:
        cached = _ROLE_CACHE.get(key)
        if cached and cached[0] > time.time():
            return cached[1]
    role = kube_get(cluster, "/apis/rbac.authorization.k8s.io/v1/clusterroles/%s" % name)
    rules = list(role.get("rules") or [])
    with _ROLE_CACHE_LOCK:
        _ROLE_CACHE[key] = (time.time() + ROLE_CACHE_SECONDS, rules)
    return rules


def access_review_response(api_version, allowed, reason):
    """A SubjectAccessReview answer: allowed, or no opinion (never an explicit deny)."""
    return {"apiVersion": api_version or "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
            "status": {"allowed": bool(allowed), "reason": reason}}


def _extra(extra, key):
    for name, values in (extra or {}).items():
        if name.lower() == key.lower() and values:
            return values[0]
    return ""


def authorize(cluster_name, review):
    """The SubjectAccessReview answer for ``review`` posted by cluster ``cluster_name``."""
    api_version = review.get("apiVersion")
    spec = review.get("spec") or {}
    cluster = CONFIG["clusters"].get(cluster_name)
    if cluster is None or not (spec.get("uid") or "").startswith("aws-iam-authenticator:"):
        return access_review_response(api_version, False, "not an EKS token identity")
    identity = {"user_id": _extra(spec.get("extra"), "principalId"),
                "canonical_arn": _extra(spec.get("extra"), "canonicalArn"),
                "principal_type": None}
    try:
        state = read_access_state(cluster_name, cluster)
    except Refused as e:
        log("%s: authorizer: %s" % (cluster_name, e))
        return access_review_response(api_version, False, str(e))
    if not state or state.get("authenticationMode") == "CONFIG_MAP":
        return access_review_response(api_version, False, "authentication mode CONFIG_MAP: no access policies")
    try:
        identity["principal_type"] = canonicalize(identity["canonical_arn"])[0]
    except Refused:
        pass
    entry = find_access_entry(identity, state.get("accessEntries") or [])
    if entry is None:
        return access_review_response(api_version, False, "no access entry")
    attributes = eks_access_rules.review_attributes(spec)
    try:
        granted = eks_access_rules.policies_allow(
            entry["policies"], lambda role: cluster_role_rules(cluster_name, cluster, role), attributes)
    except (urllib.error.URLError, OSError, ValueError) as e:
        log("%s: authorizer: reading ClusterRoles failed: %s" % (cluster_name, e))
        return access_review_response(api_version, False, "reading ClusterRoles failed")
    if granted is None:
        return access_review_response(api_version, False, "no associated access policy grants this")
    return access_review_response(api_version, True, "EKS access policy %s of %s" % (
        granted.rsplit("/", 1)[-1], entry["principalArn"]))


def authenticate(cluster_name, review, now=None):
    """The TokenReview answer for ``review`` posted by cluster ``cluster_name``."""
    api_version = review.get("apiVersion")
    cluster = CONFIG["clusters"].get(cluster_name)
    if cluster is None:
        log("%s: access denied: unknown cluster" % cluster_name)
        return review_response(api_version, error="unknown cluster %r" % cluster_name)
    token = (review.get("spec") or {}).get("token") or ""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    try:
        url, params = decode_token(token, CONFIG["sts_endpoint"], now, token_lifetime(cluster_name))
        access_key_id = params.get("x-amz-credential", "").split("/")[0]
        identity = identity_from_sts(call_sts(url, cluster_name), access_key_id)
        username, groups = map_identity(identity, cluster.get("creator_arn"), lambda: read_aws_auth(cluster),
                                        lambda instance_id: private_dns_name(cluster["region"], instance_id),
                                        read_access_state(cluster_name, cluster))
    except Refused as e:
        log("%s: access denied: %s" % (cluster_name, e))
        return review_response(api_version, error="aws-iam-authenticator (sandbox): %s" % e)
    log("%s: access granted: arn=%s username=%s groups=%s" % (cluster_name, identity["arn"], username, groups))
    return review_response(api_version, username, identity, groups)


def log(message):
    sys.stderr.write("%s %s\n" % (datetime.datetime.now().strftime("%H:%M:%S"), message))
    sys.stderr.flush()


class Handler(JSONRequestHandler):
    server_version = "sandbox-iam-authenticator"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        if urllib.parse.urlsplit(self.path).path == "/healthz":
            self._reply(200, {"status": "ok", "clusters": sorted(CONFIG["clusters"])})
        else:
            self._reply(404, {"error": "not found"})

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        for prefix, handler in (("/authenticate/", authenticate), ("/authorize/", authorize)):
            if path.startswith(prefix):
                break
        else:
            self._reply(404, {"error": "POST /authenticate/<cluster name> or /authorize/<cluster name>"})
            return
        try:
            review = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        except ValueError:
            self._reply(400, {"error": "expected a TokenReview or SubjectAccessReview"})
            return
        self._reply(200, handler(urllib.parse.unquote(path[len(prefix):]), review))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="JSON: sts_endpoint, aws, apiserver_ca, token_file, clusters")
    parser.add_argument("--collections", required=True, help="a collections path holding eks.access")
    args = parser.parse_args(argv)
    sys.path.insert(0, args.collections)
    with open(args.config) as f:
        CONFIG.update(json.load(f))
    CONFIG.setdefault("run_dir", os.path.dirname(os.path.abspath(args.config)))
    with open(CONFIG["token_file"]) as f:
        CONFIG["token"] = f.read().strip()
    from ansible_collections.eks.access.plugins.module_utils.model.aws_auth import parse as aws_auth_parse  # noqa: F401  (fail early)

    host, port = CONFIG["listen"].rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), Handler)
    serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    serving.load_cert_chain(CONFIG["tls_cert"], CONFIG["tls_key"])
    server.socket = serving.wrap_socket(server.socket, server_side=True)
    log("serving clusters %s on %s" % (", ".join(sorted(CONFIG["clusters"])), CONFIG["listen"]))
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
