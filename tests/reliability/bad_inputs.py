# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A corpus of malformed aws_auth_mapping inputs, each with the error it must give.

Each case is ``(id, module_args, pattern)``: the module, run with those
arguments against a cluster whose aws-auth holds the node mappings, must fail,
its message must match ``pattern`` (a regular expression, searched
case-insensitively) and aws-auth must keep its resourceVersion.
"""

from __future__ import annotations

ACCOUNT = "123456789012"
GOOD = "arn:aws:iam::%s:role/good" % ACCOUNT


def role(arn, **extra):
    return dict({"rolearn": arn}, **extra)


def _role_arns():
    a = ACCOUNT
    return [
        ("empty", "", r"non-empty|rolearn"),
        ("word-arn", "arn", r"is not an ARN"),
        ("not-an-arn", "developers", r"is not an ARN"),
        ("url", "https://iam.amazonaws.com/role/x", r"is not an ARN"),
        ("account-11-digits", "arn:aws:iam::12345678901:role/x", r"account ID"),
        ("account-13-digits", "arn:aws:iam::1234567890123:role/x", r"account ID"),
        ("account-letters", "arn:aws:iam::12345678901a:role/x", r"account ID"),
        ("account-wildcard", "arn:aws:iam::*:role/x", r"account ID"),
        ("account-missing", "arn:aws:iam:::role/x", r"account ID"),
        ("region-given", "arn:aws:iam:us-east-1:%s:role/x" % a, r"region"),
        ("service-s3", "arn:aws:s3:::bucket", r"service|account"),
        ("service-ec2", "arn:aws:ec2:us-east-1:%s:instance/i-1" % a, r"service"),
        ("partition-unknown", "arn:aws-mars:iam::%s:role/x" % a, r"partition"),
        ("partition-upper", "ARN:AWS:IAM::%s:ROLE/x" % a, r"is not an ARN"),
        ("iam-group", "arn:aws:iam::%s:group/devs" % a, r"IAM group"),
        ("user-as-role", "arn:aws:iam::%s:user/alice" % a, r"mapUsers"),
        ("root-as-role", "arn:aws:iam::%s:root" % a, r"mapUsers"),
        ("assumed-role", "arn:aws:sts::%s:assumed-role/dev/alice" % a, r"assumed-role.*use the role ARN"),
        ("assumed-role-no-session", "arn:aws:sts::%s:assumed-role/dev" % a, r"assumed-role"),
        ("instance-profile", "arn:aws:iam::%s:instance-profile/nodes" % a, r"cannot authenticate"),
        ("policy", "arn:aws:iam::%s:policy/admin" % a, r"cannot authenticate"),
        ("oidc-provider", "arn:aws:iam::%s:oidc-provider/oidc.eks.x/id/1" % a, r"cannot authenticate"),
        ("saml-provider", "arn:aws:iam::%s:saml-provider/okta" % a, r"cannot authenticate"),
        ("mfa", "arn:aws:iam::%s:mfa/alice" % a, r"unsupported iam resource type"),
        ("no-name", "arn:aws:iam::%s:role/" % a, r"invalid role name"),
        ("no-type-name", "arn:aws:iam::%s:role" % a, r"no resource name"),
        ("space-in-name", "arn:aws:iam::%s:role/dev ops" % a, r"invalid role name"),
        ("wildcard-name", "arn:aws:iam::%s:role/dev*" % a, r"invalid role name"),
        ("question-name", "arn:aws:iam::%s:role/dev?" % a, r"invalid role name"),
        ("colon-in-name", "arn:aws:iam::%s:role/dev:ops" % a, r"invalid role name"),
        ("name-129-chars", "arn:aws:iam::%s:role/%s" % (a, "r" * 129), r"invalid role name"),
        ("trailing-slash", "arn:aws:iam::%s:role/dev/" % a, r"invalid role name"),
        ("leading-space", " arn:aws:iam::%s:role/dev" % a, r"is not an ARN"),
        ("trailing-space", "arn:aws:iam::%s:role/dev " % a, r"invalid role name"),
        ("trailing-newline", "arn:aws:iam::%s:role/dev\n" % a, r"invalid role name"),
        ("account-trailing-newline", "arn:aws:iam::%s\n:role/dev" % a, r"account ID"),
        ("tab-in-name", "arn:aws:iam::%s:role/dev\tops" % a, r"invalid role name"),
    ]


def _paths():
    a = ACCOUNT
    return [
        ("path-double-slash", "arn:aws:iam::%s:role/a//dev" % a, r"invalid path"),
        ("path-space", "arn:aws:iam::%s:role/my path/dev" % a, r"invalid path"),
        ("path-dotdot-star", "arn:aws:iam::%s:role/a*/dev" % a, r"invalid path"),
        ("path-non-ascii", "arn:aws:iam::%s:role/équipe/dev" % a, r"invalid path"),
        ("path-512-plus", "arn:aws:iam::%s:role/%s/dev" % (a, "/".join(["p" * 60] * 9)), r"path"),
        ("path-colon", "arn:aws:iam::%s:role/a:b/dev" % a, r"invalid path"),
        ("sso-path-bad-name", "arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_x y" % a,
         r"invalid role name"),
    ]


def _non_ascii_arns():
    a = ACCOUNT
    return [
        ("name-accented", "arn:aws:iam::%s:role/rôle" % a, r"invalid role name"),
        ("name-cyrillic", "arn:aws:iam::%s:role/роль" % a, r"invalid role name"),
        ("name-cyrillic-a-homoglyph", "arn:aws:iam::%s:role/\u0430dmin" % a, r"invalid role name"),
        ("name-fullwidth", "arn:aws:iam::%s:role/\uff41\uff44\uff4d\uff49\uff4e" % a, r"invalid role name"),
        ("name-zero-width-space", "arn:aws:iam::%s:role/ad\u200bmin" % a, r"invalid role name"),
        ("name-emoji", "arn:aws:iam::%s:role/dev\U0001f680" % a, r"invalid role name"),
        ("account-arabic-indic-digits", "arn:aws:iam::\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
         "\u0660\u0661\u0662:role/dev", r"account ID"),
        ("account-fullwidth-digits", "arn:aws:iam::\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10"
         "\uff11\uff12:role/dev", r"account ID"),
        ("prefix-cyrillic", "\u0430rn:aws:iam::%s:role/dev" % a, r"is not an ARN"),
    ]


def _user_arns():
    a = ACCOUNT
    return [
        ("user-empty", "", r"non-empty|userarn"),
        ("user-role-arn", "arn:aws:iam::%s:role/dev" % a, r"mapRoles"),
        ("user-group", "arn:aws:iam::%s:group/devs" % a, r"IAM group"),
        ("user-assumed-role", "arn:aws:sts::%s:assumed-role/dev/alice" % a, r"assumed-role"),
        ("user-bad-account", "arn:aws:iam::1234:user/alice", r"account ID"),
        ("user-space", "arn:aws:iam::%s:user/alice smith" % a, r"invalid user name"),
        ("user-non-ascii", "arn:aws:iam::%s:user/zoë" % a, r"invalid user name"),
        ("user-name-too-long", "arn:aws:iam::%s:user/%s" % (a, "u" * 129), r"invalid user name"),
        ("user-policy", "arn:aws:iam::%s:policy/p" % a, r"cannot authenticate"),
    ]


def _usernames():
    """Usernames: templates, control characters and YAML injection attempts."""
    injected_entry = "dev\n- rolearn: arn:aws:iam::%s:role/evil\n  username: evil\n  groups: [system:masters]" % ACCOUNT
    return [
        ("username-empty", "", r"non-empty string"),
        ("template-unknown", "dev-{{Foo}}", r"unsupported template"),
        ("template-lowercase", "dev-{{sessionname}}", r"unsupported template"),
        ("template-spaces", "dev-{{ SessionName }}", r"unsupported template"),
        ("template-unclosed", "dev-{{SessionName", r"unsupported template"),
        ("template-unopened", "dev-SessionName}}", r"unsupported template"),
        ("template-nested", "dev-{{{{SessionName}}}}", r"unsupported template"),
        ("template-empty", "dev-{{}}", r"unsupported template"),
        ("template-jinja-expression", "dev-{{ 7*7 }}", r"unsupported template"),
        ("inject-newline-entry", injected_entry, r"control character|line break"),
        ("inject-groups-key", "dev\ngroups:\n- system:masters", r"control character|line break"),
        ("inject-crlf", "dev\r\ngroups: [system:masters]", r"control character|line break"),
        ("inject-cr", "dev\rgroups: [system:masters]", r"control character|line break"),
        ("inject-nel", "dev\x85groups: [system:masters]", r"control character|line break"),
        ("inject-line-separator", "dev\u2028groups: [system:masters]", r"control character|line break"),
        ("inject-paragraph-separator", "dev\u2029groups: [system:masters]", r"control character|line break"),
        ("inject-document", "dev\n---\nmapRoles: []", r"control character|line break"),
        ("inject-nul", "dev\x00admin", r"control character"),
        ("inject-escape", "dev\x1b[31madmin", r"control character"),
        ("inject-tab", "dev\tadmin", r"control character"),
        ("inject-delete", "dev\x7fadmin", r"control character"),
        ("inject-bom", "\ufeffdev", r"control character|format character"),
        ("inject-rtl-override", "dev\u202eadmin", r"control character|format character"),
        ("inject-template-newline", "{{SessionName}}\ngroups: [system:masters]", r"control character|line break"),
    ]


def _groups():
    injected = "dev\n- system:masters"
    return [
        ("group-empty-string", [""], r"non-empty strings"),
        ("group-template-unknown", ["team-{{Foo}}"], r"unsupported template"),
        ("group-newline", [injected], r"control character|line break"),
        ("group-crlf", ["dev\r\n- system:masters"], r"control character|line break"),
        ("group-nul", ["dev\x00"], r"control character"),
        ("group-tab", ["dev\tops"], r"control character"),
        ("group-line-separator", ["dev\u2028system:masters"], r"control character|line break"),
        ("group-zero-width", ["system:mas\u200bters"], r"control character|format character"),
    ]


def _types():
    a = ACCOUNT
    return [
        ("roles-not-list-of-dicts", {"roles": ["arn:aws:iam::%s:role/x" % a]}, r"roles|dict|type"),
        ("roles-int", {"roles": 5}, r"roles|type"),
        ("roles-nested-list", {"roles": [[GOOD]]}, r"roles|dict|type"),
        ("role-missing-arn", {"roles": [{"username": "x"}]}, r"rolearn"),
        ("role-typo-key", {"roles": [role(GOOD, group=["x"])]}, r"Unsupported parameters|group"),
        ("role-userarn-key", {"roles": [{"userarn": "arn:aws:iam::%s:user/a" % a}]}, r"rolearn|userarn"),
        ("role-arn-list", {"roles": [{"rolearn": [GOOD]}]}, r"rolearn|type|not an ARN"),
        ("role-arn-dict", {"roles": [{"rolearn": {"a": 1}}]}, r"rolearn|type|not an ARN"),
        ("groups-int", {"roles": [role(GOOD, groups=[2024])]}, r"groups must be non-empty strings"),
        ("groups-dict", {"roles": [role(GOOD, groups={"a": 1})]}, r"groups|type"),
        ("groups-nested-list", {"roles": [role(GOOD, groups=[["a"]])]}, r"groups|type|string"),
        ("username-list", {"roles": [role(GOOD, username=["a", "b"])]}, r"username|type"),
        ("username-dict", {"roles": [role(GOOD, username={"a": 1})]}, r"username|type"),
        ("username-int", {"roles": [role(GOOD, username=5)]}, r"username must be a non-empty string"),
        ("state-unknown", {"roles": [role(GOOD)], "state": "gone"}, r"state|one of"),
        ("purge-not-bool", {"roles": [role(GOOD)], "purge": "perhaps"}, r"purge|bool"),
        ("nothing-given", {}, r"one of the following is required|roles"),
        ("unknown-option", {"roles": [role(GOOD)], "rolez": []}, r"Unsupported parameters"),
        ("accounts-short", {"accounts": ["12345"]}, r"12 digits"),
        ("accounts-letters", {"accounts": ["abcdefghijkl"]}, r"12 digits"),
        ("accounts-13", {"accounts": ["1234567890123"]}, r"12 digits"),
        ("accounts-empty", {"accounts": [""]}, r"12 digits"),
        ("accounts-space", {"accounts": ["123456789012 "]}, r"12 digits"),
        ("accounts-newline", {"accounts": ["123456789012\n"]}, r"12 digits"),
        ("accounts-arabic-digits", {"accounts": ["\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660"
                                                 "\u0661\u0662"]}, r"12 digits"),
        ("accounts-dict", {"accounts": [{"id": ACCOUNT}]}, r"12 digits|accounts|type"),
    ]


def _duplicates():
    a = ACCOUNT
    other = "arn:aws:iam::%s:role/dup" % a
    return [
        ("dup-same", {"roles": [role(other), role(other)]}, r"duplicate"),
        ("dup-case", {"roles": [role(other), role(other.upper().replace("ARN:AWS:IAM", "arn:aws:iam")
                                                       .replace(":ROLE/", ":role/"))]}, r"duplicate"),
        ("dup-path", {"roles": [role(other), role("arn:aws:iam::%s:role/team/dup" % a)]}, r"duplicate"),
        ("dup-users", {"users": [{"userarn": "arn:aws:iam::%s:user/al" % a},
                                 {"userarn": "arn:aws:iam::%s:user/al" % a}]}, r"duplicate"),
        ("dup-sso-path", {"roles": [role("arn:aws:iam::%s:role/AWSReservedSSO_Admin_0123" % a),
                                    role("arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/"
                                         "AWSReservedSSO_Admin_0123" % a)]}, r"duplicate"),
    ]


def _huge():
    a = ACCOUNT
    many = [role("arn:aws:iam::%s:role/huge-%05d" % (a, n), groups=["g"]) for n in range(5000)]
    last_bad = many[:4999] + [role("arn:aws:iam::%s:group/last" % a)]
    too_big = [role("arn:aws:iam::%s:role/big-%05d-%s" % (a, n, "x" * 80), username="u%05d%s" % (n, "y" * 60),
                    groups=["group-%s" % ("z" * 60)]) for n in range(6000)]
    return [
        ("huge-last-entry-bad", {"roles": last_bad}, r"entry 4999"),
        ("huge-over-1MiB", {"roles": too_big}, r"1 ?MiB|1048576|too long|too large"),
        ("huge-username", {"roles": [role(GOOD, username="u" * (1 << 20))]}, r"1 ?MiB|1048576|too long|too large"),
        ("huge-groups", {"roles": [role(GOOD, groups=["g%06d-%s" % (n, "x" * 40) for n in range(25000)])]},
         r"1 ?MiB|1048576|too long|too large"),
    ]


def cases():
    out = []
    for name, arn, pattern in _role_arns() + _paths() + _non_ascii_arns():
        out.append(("rolearn/" + name, {"roles": [role(arn, groups=["x"])]}, pattern))
    for name, arn, pattern in _user_arns():
        out.append(("userarn/" + name, {"users": [{"userarn": arn, "groups": ["x"]}]}, pattern))
    for name, username, pattern in _usernames():
        out.append(("username/" + name, {"roles": [role(GOOD, username=username)]}, pattern))
    out.append(("username/users-EC2PrivateDNSName",
                {"users": [{"userarn": "arn:aws:iam::%s:user/a" % ACCOUNT, "username": "{{EC2PrivateDNSName}}"}]},
                r"EC2PrivateDNSName"))
    for name, groups, pattern in _groups():
        out.append(("groups/" + name, {"roles": [role(GOOD, groups=groups)]}, pattern))
    for group, items in (("types", _types()), ("duplicates", _duplicates()), ("huge", _huge())):
        for name, args, pattern in items:
            out.append(("%s/%s" % (group, name), args, pattern))
    return out
