# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""moto with the sandbox's EKS access entry extension, without the rest of the sandbox.

moto runs in a child process (the extension patches moto's EKS service, which
must not leak into other tests), serving on a free loopback port behind the
launcher's sandbox-only endpoint; boto3 talks to it as to EKS.  The full
behaviour, with tokens and API servers, is in
tests/integration/test_sandbox_access_entries.py.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

SANDBOX = os.path.join(os.path.dirname(__file__), "..", "..", "sandbox")
SERVER = """
import sys, threading
sys.path.insert(0, %(sandbox)r)
import moto_eks_access, moto_launcher
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server
moto_eks_access.install()
app = moto_launcher.AccessStateEndpoint(DomainDispatcherApplication(create_backend_app), "123456789012")
make_server("127.0.0.1", %(port)d, app, True).serve_forever()
"""
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture(scope="module")
def endpoint():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", SERVER % {"sandbox": os.path.abspath(SANDBOX), "port": port}],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d" % port
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/_sandbox/eks/access/us-west-2/none", timeout=2)
            except urllib.error.HTTPError:
                break  # 404: serving
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("moto with the access entry extension did not start")
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def client(endpoint, name):
    return boto3.client(name, region_name="us-west-2", endpoint_url=endpoint, aws_access_key_id="AKIAUNITTEST",
                        aws_secret_access_key="secret")


def test_round_trip_of_an_entry_with_a_pathful_role_and_the_state_the_authenticator_reads(endpoint):
    iam, eks = client(endpoint, "iam"), client(endpoint, "eks")
    role = iam.create_role(RoleName="dev", Path="/teams/a/", AssumeRolePolicyDocument=TRUST)["Role"]
    eks.create_cluster(name="c", roleArn=role["Arn"], resourcesVpcConfig={"subnetIds": ["subnet-1"]},
                       accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
    eks.create_access_entry(clusterName="c", principalArn=role["Arn"], kubernetesGroups=["devs"])
    eks.associate_access_policy(clusterName="c", principalArn=role["Arn"],
                                policyArn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
                                accessScope={"type": "namespace", "namespaces": ["dev-*"]})
    described = eks.describe_access_entry(clusterName="c", principalArn=role["Arn"])["accessEntry"]
    assert described["username"] == "arn:aws:sts::123456789012:assumed-role/dev/{{SessionName}}"
    with urllib.request.urlopen(endpoint + "/_sandbox/eks/access/us-west-2/c") as response:
        state = json.load(response)
    assert state["authenticationMode"] == "API_AND_CONFIG_MAP"
    entry = [e for e in state["accessEntries"] if e["principalArn"] == role["Arn"]][0]
    assert entry["principalId"] == role["RoleId"]
    assert entry["policies"] == [{"policyArn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
                                  "accessScope": {"type": "namespace", "namespaces": ["dev-*"]}}]


def test_errors_carry_eks_codes_and_the_cluster_name(endpoint):
    eks = client(endpoint, "eks")
    with pytest.raises(ClientError) as info:
        eks.list_access_entries(clusterName="nope")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert info.value.response["Error"]["Message"] == "No cluster found for name: nope."
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_a_slow_mode_update_is_in_progress_listed_and_exclusive_until_it_ends(endpoint):
    iam, eks = client(endpoint, "iam"), client(endpoint, "eks")
    role = iam.create_role(RoleName="slow", AssumeRolePolicyDocument=TRUST)["Role"]
    eks.create_cluster(name="slow", roleArn=role["Arn"], resourcesVpcConfig={"subnetIds": ["subnet-1"]},
                       accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
    request = urllib.request.Request(endpoint + "/_sandbox/eks/access/us-west-2/slow/reset", method="POST",
                                     data=json.dumps({"modeUpdateSeconds": 1.5}).encode(),
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).close()
    update = eks.update_cluster_config(name="slow", accessConfig={"authenticationMode": "API"})["update"]
    cluster = eks.describe_cluster(name="slow")["cluster"]
    assert (cluster["status"], cluster["accessConfig"]["authenticationMode"]) == ("UPDATING", "API_AND_CONFIG_MAP")
    assert eks.list_updates(name="slow")["updateIds"] == [update["id"]]
    assert eks.describe_update(name="slow", updateId=update["id"])["update"]["status"] == "InProgress"
    with pytest.raises(ClientError) as info:
        eks.update_cluster_config(name="slow", accessConfig={"authenticationMode": "API"})
    assert info.value.response["Error"]["Code"] == "ResourceInUseException"
    deadline = time.monotonic() + 20
    while eks.describe_update(name="slow", updateId=update["id"])["update"]["status"] == "InProgress":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    cluster = eks.describe_cluster(name="slow")["cluster"]
    assert (cluster["status"], cluster["accessConfig"]["authenticationMode"]) == ("ACTIVE", "API")
