"""Checks over CloudFormation templates (as JSON dicts) and rendered scripts.

Each check is a pure function returning findings, so a test can feed it a bad synthetic
template and see it fail (test_template_scan.py does, for every check). Intrinsics are
handled conservatively: Fn::If contributes every branch, a Ref to a parameter contributes
what the parameter may be at launch (its default and, for CIDRs, what its pattern allows).
"""

from __future__ import annotations

import ast
import base64
import ipaddress
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import product
from typing import Any

Template = dict[str, Any]


@dataclass(frozen=True)
class Finding:
    template: str
    where: str  # logical ID, "Parameters.X", "Outputs.Y", a file path
    message: str

    def __str__(self) -> str:
        return f"{self.template}: {self.where}: {self.message}"


def resources(template: Template, *types: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, resource in template.get("Resources", {}).items():
        if not types or resource.get("Type") in types:
            yield logical_id, resource


def props(resource: dict[str, Any]) -> dict[str, Any]:
    return resource.get("Properties") or {}


# --- rendering intrinsics ---------------------------------------------------------------
def renderings(value: Any, limit: int = 64) -> list[str]:
    """Every string `value` can become, intrinsics shown as ${Name} / ${Name.Attr}.

    Fn::If yields both branches (the cross product, capped at `limit` alternatives).
    """
    if isinstance(value, str):
        return [value]
    if isinstance(value, bool):
        return [str(value).lower()]
    if isinstance(value, int | float):
        return [str(value)]
    if isinstance(value, list):
        return [",".join(p) for p in _cross([renderings(v, limit) for v in value], limit)]
    if not isinstance(value, dict) or len(value) != 1:
        return ["${?}"]
    (fn, arg), = value.items()
    if fn == "Ref":
        return [f"${{{arg}}}"]
    if fn == "Fn::GetAtt":
        return ["${" + (".".join(arg) if isinstance(arg, list) else str(arg)) + "}"]
    if fn == "Fn::Join":
        sep, parts = arg
        if not isinstance(parts, list):
            return ["${?}"]
        return [sep.join(p) for p in _cross([renderings(v, limit) for v in parts], limit)]
    if fn == "Fn::Sub":
        text = arg if isinstance(arg, str) else arg[0]
        return [text]
    if fn == "Fn::If":
        return (renderings(arg[1], limit) + renderings(arg[2], limit))[:limit]
    if fn == "Fn::Base64":
        return renderings(arg, limit)
    return [f"${{{fn}}}"]


def _cross(options: list[list[str]], limit: int) -> list[list[str]]:
    out: list[list[str]] = []
    for combo in product(*options):
        out.append(list(combo))
        if len(out) >= limit:
            break
    return out


def leaves(value: Any) -> Iterator[Any]:
    """The alternatives a property may take: Fn::If branches flattened, others as is."""
    if isinstance(value, dict) and len(value) == 1 and "Fn::If" in value:
        _, yes, no = value["Fn::If"]
        yield from leaves(yes)
        yield from leaves(no)
    else:
        yield value


def walk(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(path, value) for every node under value, depth first."""
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, (*path, i))


# --- plaintext secrets ------------------------------------------------------------------
SECRET_NAME = re.compile(
    r"pass(word|wd|phrase)?|secret|token|api[_-]?key|private[_-]?key|credential|htpasswd",
    re.IGNORECASE,
)
# Names that match SECRET_NAME but hold a reference, a size or a switch, never a value.
REFERENCE_NAME = re.compile(
    r"(arn|id|ids|name|names|length|days|file|path|prefix|key_?name|mode|type|uri|url|"
    r"field|enabled|rotation|template|policy|kms_?key(_?id)?)$",
    re.IGNORECASE,
)
# CloudFormation property names that match SECRET_NAME and are structural, not secrets.
STRUCTURAL_PROPERTIES = frozenset({
    "SecretStringTemplate", "GenerateStringKey", "GenerateSecretString", "ExcludeCharacters",
    "ExcludePunctuation", "PasswordLength", "ServiceToken", "SecretId", "SecretArn",
    "SecretName", "Secrets", "ManageMasterUserPassword", "MasterUserSecret",
    "SecretTargetAttachment", "TargetType", "IdentitySource", "TokenValidity",
    "IdTokenValidity", "AccessTokenValidity", "RefreshTokenValidity",
})
# Properties where a Secrets Manager dynamic reference is resolved by the service itself
# and never shown: anywhere else `{{resolve:secretsmanager:...}}` would put the plaintext in
# the resource (task definition environment, lifecycle script, output, tag, ...).
# Under these, keys are IAM condition keys and tag names, not values.
POLICY_KEYS = frozenset({"PolicyDocument", "AssumeRolePolicyDocument", "KeyPolicy",
                         "Condition", "ResourcePolicy"})
DYNAMIC_REFERENCE_OK = frozenset({"MasterUsername", "MasterUserPassword"})
DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:(secretsmanager|ssm-secure):")

# Literal credentials recognisable by shape.
CREDENTIAL_SHAPES: dict[str, re.Pattern[str]] = {
    "AWS access key ID": re.compile(r"\b(AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b"),
    "private key": re.compile(r"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "JSON web token": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]+"),
    "password in a URL": re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@$]+:(?!\$|\{|PLACEHOLDER)[^/\s@]{3,}@",
                                    re.IGNORECASE),
    # KEY=value (shell, ini) or "key": "value" (JSON, YAML); not IAM actions (svc:Verb).
    "password assignment": re.compile(
        r"\b\w*(password|passwd|secret|token)\w*[\"']?\s*(=|:\s)\s*[\"']?"
        r"(?![\"'$({<%]|PLACEHOLDER)[A-Za-z0-9+/_-]{8,}", re.IGNORECASE),
}
_INTRINSIC = re.compile(r"\$\{[^}]*\}")  # ${Ref} / ${Resource.Attr} from renderings()
_TOKEN_SPLIT = re.compile(r"[\s\"'`,;:()\[\]{}<>=|&]+")
_B64ISH = re.compile(r"[A-Za-z0-9+/_=.-]{24,}")
ENTROPY_THRESHOLD = 4.2  # bits per character; random base64 of this length is ~4.5-5.2


def shannon_entropy(text: str) -> float:
    counts = {c: text.count(c) for c in set(text)}
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def high_entropy_tokens(text: str, known_names: frozenset[str] = frozenset()) -> list[str]:
    """Tokens that look like random secrets: long, mixed classes, high entropy.

    Not flagged: hex digests (asset hashes), identifiers made of words (logical IDs, with
    `known_names`), ARNs and paths (split on ':' and '/' first).
    """
    found = []
    for raw in _TOKEN_SPLIT.split(text):
        for token in re.split(r"[/:]", raw) if raw.count("/") > 2 or ":" in raw else [raw]:
            if not _B64ISH.fullmatch(token) or token in known_names:
                continue
            if re.fullmatch(r"[0-9a-fA-F.-]+", token):  # digests, UUIDs, versions
                continue
            if not (re.search(r"\d", token) and re.search(r"[a-z]", token)
                    and re.search(r"[A-Z]", token)):
                continue
            # CamelCase identifiers: mostly letters in runs of a capital and lowercase.
            if len(re.findall(r"[A-Z][a-z]{2,}", token)) * 4 >= len(token) * 0.5:
                continue
            if shannon_entropy(token) >= ENTROPY_THRESHOLD:
                found.append(token)
    return found


def text_secrets(text: str, known_names: frozenset[str] = frozenset()) -> list[str]:
    """What in a piece of text (a script, a config, a template string) looks like a secret."""
    hits = [f"{label}: {m.group(0)[:40]}" for label, rx in CREDENTIAL_SHAPES.items()
            for m in rx.finditer(text)]
    hits += [f"high-entropy literal: {t[:12]}..." for t in high_entropy_tokens(text, known_names)]
    return hits


def _names(template: Template) -> frozenset[str]:
    names = set()
    for section in ("Resources", "Parameters", "Conditions", "Outputs", "Mappings", "Rules"):
        names |= set(template.get(section, {}))
    return frozenset(names)


def plaintext_secrets(name: str, template: Template) -> list[Finding]:
    """Secrets written into the template: parameter defaults, literal secret properties,
    environment variables, dynamic references that leak, credential-shaped literals."""
    findings: list[Finding] = []
    known = _names(template)
    for pname, param in template.get("Parameters", {}).items():
        where = f"Parameters.{pname}"
        default = param.get("Default")
        if param.get("NoEcho") in (True, "true") and default not in (None, ""):
            findings.append(Finding(name, where, "NoEcho parameter with a default value"))
        secret_named = SECRET_NAME.search(pname) and not REFERENCE_NAME.search(pname)
        if secret_named and default not in (None, ""):
            findings.append(Finding(name, where, f"secret-named parameter has a default: "
                                                 f"{str(default)[:20]!r}"))
        if secret_named and param.get("NoEcho") not in (True, "true"):
            findings.append(Finding(name, where, "secret-named parameter is not NoEcho"))
        findings += [Finding(name, where, f"default: {hit}")
                     for hit in text_secrets(str(default or ""))]

    for logical_id, resource in resources(template):
        for path, value in walk(props(resource)):
            key = next((p for p in reversed(path) if isinstance(p, str)), "")
            if isinstance(value, str):
                if DYNAMIC_REFERENCE.search(value) and not DYNAMIC_REFERENCE_OK & set(path):
                    findings.append(Finding(name, logical_id, "secret dynamic reference resolved "
                                            f"into plaintext at {_dotted(path)}"))
                findings += [Finding(name, logical_id, f"{hit} at {_dotted(path)}")
                             for hit in text_secrets(value, known)]
            if (isinstance(value, str) and value and path and isinstance(path[-1], str)
                    and not POLICY_KEYS & set(path)
                    and SECRET_NAME.search(key) and key not in STRUCTURAL_PROPERTIES
                    and not REFERENCE_NAME.search(key) and not DYNAMIC_REFERENCE.search(value)):
                findings.append(Finding(name, logical_id,
                                        f"literal value for secret property {_dotted(path)}"))
            if isinstance(value, dict):
                findings += _environment_secrets(name, logical_id, path, value)
    for oname, output in template.get("Outputs", {}).items():
        for text in renderings(output.get("Value")):
            if DYNAMIC_REFERENCE.search(text):
                findings.append(Finding(name, f"Outputs.{oname}", "output resolves a secret"))
            findings += [Finding(name, f"Outputs.{oname}", hit)
                         for hit in text_secrets(_INTRINSIC.sub("", text), known)]
        if SECRET_NAME.search(oname) and not REFERENCE_NAME.search(oname):
            findings.append(Finding(name, f"Outputs.{oname}", "output named like a secret"))
    return findings


def _environment_secrets(name: str, logical_id: str, path: tuple[Any, ...],
                         node: dict[str, Any]) -> list[Finding]:
    """{"Name": X, "Value": literal} (ECS) and {"Variables": {X: literal}} (Lambda)."""
    pairs: list[tuple[str, Any]] = []
    if set(node) == {"Name", "Value"} and isinstance(node["Name"], str):
        pairs.append((node["Name"], node["Value"]))
    if isinstance(node.get("Variables"), dict):
        pairs += list(node["Variables"].items())
    return [
        Finding(name, logical_id, f"environment variable {var} holds a literal secret at "
                                  f"{_dotted(path)} (inject it from Secrets Manager)")
        for var, value in pairs
        if SECRET_NAME.search(var) and not REFERENCE_NAME.search(var)
        and any(isinstance(v, str) and v for v in leaves(value))
    ]


def _dotted(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path) or "(root)"


# --- network ----------------------------------------------------------------------------
OPEN_CIDRS = ("0.0.0.0/0", "::/0")


def _is_open(cidr: str) -> bool:
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


def open_ingress(name: str, template: Template) -> list[Finding]:
    """Security group ingress from 0.0.0.0/0 or ::/0: inline rules and
    AWS::EC2::SecurityGroupIngress, literal, behind Fn::If, or from a parameter whose
    default is open or whose pattern accepts an open range."""
    rules: list[tuple[str, dict[str, Any]]] = []
    for logical_id, resource in resources(template, "AWS::EC2::SecurityGroup"):
        for rule in props(resource).get("SecurityGroupIngress") or []:
            for alternative in leaves(rule):
                if isinstance(alternative, dict):
                    rules.append((logical_id, alternative))
    for logical_id, resource in resources(template, "AWS::EC2::SecurityGroupIngress"):
        rules.append((logical_id, props(resource)))
    findings = []
    for logical_id, rule in rules:
        for key in ("CidrIp", "CidrIpv6"):
            for value in leaves(rule.get(key)):
                reason = _open_source(template, value)
                if reason:
                    findings.append(Finding(name, logical_id, f"ingress {key} {reason}"))
    return findings


def _open_source(template: Template, value: Any) -> str | None:
    if isinstance(value, str):
        return f"from {value}" if _is_open(value) else None
    if isinstance(value, dict) and isinstance(value.get("Ref"), str):
        param = template.get("Parameters", {}).get(value["Ref"])
        if param is None:
            return None
        default = str(param.get("Default", ""))
        if _is_open(default):
            return f"from parameter {value['Ref']} whose default is {default}"
        allowed = param.get("AllowedValues")
        if allowed is not None:
            opened = [v for v in allowed if _is_open(str(v))]
            return f"from parameter {value['Ref']} allowing {opened}" if opened else None
        pattern = param.get("AllowedPattern")
        if pattern is None:
            return f"from parameter {value['Ref']} with no AllowedPattern (accepts 0.0.0.0/0)"
        for cidr in OPEN_CIDRS:
            if re.fullmatch(pattern, cidr):
                return f"from parameter {value['Ref']} whose AllowedPattern accepts {cidr}"
    return None


# --- buckets ----------------------------------------------------------------------------
BLOCK_ALL = ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets")


def bucket_findings(name: str, template: Template) -> list[Finding]:
    """Every bucket: encrypted, all public access blocked, and a policy denying non-TLS."""
    tls_enforced = {
        _ref(props(policy).get("Bucket"))
        for _, policy in resources(template, "AWS::S3::BucketPolicy")
        if any(_denies_insecure_transport(s)
               for s in props(policy).get("PolicyDocument", {}).get("Statement", []))
    }
    findings = []
    for logical_id, bucket in resources(template, "AWS::S3::Bucket"):
        p = props(bucket)
        if not p.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration"):
            findings.append(Finding(name, logical_id, "bucket without default encryption"))
        block = p.get("PublicAccessBlockConfiguration") or {}
        missing = [k for k in BLOCK_ALL if block.get(k) not in (True, "true")]
        if missing:
            findings.append(Finding(name, logical_id, f"public access not blocked: {missing}"))
        if logical_id not in tls_enforced:
            findings.append(Finding(name, logical_id,
                                    "no bucket policy denying aws:SecureTransport=false"))
    return findings


def _ref(value: Any) -> str | None:
    return value.get("Ref") if isinstance(value, dict) else None


def _denies_insecure_transport(statement: dict[str, Any]) -> bool:
    if statement.get("Effect") != "Deny":
        return False
    condition = statement.get("Condition", {}).get("Bool", {})
    return str(condition.get("aws:SecureTransport", "")).lower() == "false"


# --- logs -------------------------------------------------------------------------------
def log_group_findings(name: str, template: Template) -> list[Finding]:
    """Every log group has a retention, including the ones services create implicitly:
    a Lambda function logs to /aws/lambda/<name> (never expires) unless LoggingConfig names
    a group; an RDS cluster's exported logs go to /aws/rds/cluster/<id>/<type>."""
    findings = []
    for logical_id, group in resources(template, "AWS::Logs::LogGroup"):
        if props(group).get("RetentionInDays") in (None, ""):
            findings.append(Finding(name, logical_id, "log group without RetentionInDays"))
    for logical_id, function in resources(template, "AWS::Lambda::Function"):
        if not (props(function).get("LoggingConfig") or {}).get("LogGroup"):
            findings.append(Finding(name, logical_id, "Lambda function logs to an implicit "
                                    "/aws/lambda group that never expires (set LoggingConfig)"))
    group_names = [" ".join(renderings(props(g).get("LogGroupName", "")))
                   for _, g in resources(template, "AWS::Logs::LogGroup")]
    for logical_id, cluster in resources(template, "AWS::RDS::DBCluster"):
        for log_type in props(cluster).get("EnableCloudwatchLogsExports") or []:
            if not any("/aws/rds/cluster/" in g and g.rstrip("}").endswith(log_type)
                       for g in group_names):
                findings.append(Finding(name, logical_id, f"exported {log_type} log goes to an "
                                        "implicit log group that never expires"))
    return findings


# Things that must never be written to an access log.
SENSITIVE_LOG_FIELDS = re.compile(
    r"authorization|cookie|x-api-key|x_api_key|password|secret|security[_-]token|"
    r"request_body|\$request\.header",
    re.IGNORECASE,
)


def access_log_findings(name: str, template: Template) -> list[Finding]:
    """API Gateway access log formats log no credentials."""
    findings = []
    for logical_id, resource in resources(template, "AWS::ApiGatewayV2::Stage",
                                          "AWS::ApiGateway::Stage"):
        fmt = (props(resource).get("AccessLogSettings") or {}).get("Format", "")
        for text in renderings(fmt):
            for m in SENSITIVE_LOG_FIELDS.finditer(text):
                findings.append(Finding(name, logical_id, f"access log format logs {m.group(0)}"))
    return findings


def nginx_log_format_findings(where: str, conf: str) -> list[Finding]:
    """log_format directives of an nginx.conf log no credentials."""
    findings = []
    for m in re.finditer(r"\blog_format\b(.*?);", conf, re.DOTALL):
        for bad in re.finditer(r"\$(http_authorization|http_cookie|request_body|"
                               r"http_x_amz_security_token|sent_http_set_cookie|"
                               r"upstream_http_set_cookie)\b", m.group(1)):
            findings.append(Finding("nginx", where, f"log_format logs ${bad.group(1)}"))
    return findings


# --- IAM --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Statement:
    template: str
    resource: str  # logical ID of the policy/role
    sid: str | None
    actions: tuple[str, ...]
    resources: tuple[str, ...]  # renderings
    raw: dict[str, Any]


IDENTITY_POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::Role",
                         "AWS::IAM::User", "AWS::IAM::Group")


def identity_statements(name: str, template: Template) -> list[Statement]:
    """Allow statements of identity policies (managed, inline, role/user/group inline)."""
    out = []
    for logical_id, resource in resources(template, *IDENTITY_POLICY_TYPES):
        p = props(resource)
        documents = [p.get("PolicyDocument")] + [q.get("PolicyDocument")
                                                 for q in p.get("Policies") or []]
        for document in documents:
            if not isinstance(document, dict):
                continue
            statements = document.get("Statement", [])
            for st in statements if isinstance(statements, list) else [statements]:
                for alternative in leaves(st):
                    if not isinstance(alternative, dict) or alternative.get("Effect") != "Allow":
                        continue
                    out.append(Statement(
                        name, logical_id, alternative.get("Sid"),
                        tuple(_as_list(alternative.get("Action") or alternative.get("NotAction"))),
                        tuple(r for v in _as_list(alternative.get("Resource"))
                              for r in renderings(v)),
                        alternative,
                    ))
    return out


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def is_wildcard_resource(resource: str) -> bool:
    """'*', or an ARN whose every name part is '*' (arn:aws:s3:::*, arn:...:*:*:*)."""
    if resource == "*":
        return True
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        return parts[5] in ("*", "*/*") and parts[3] in ("", "*", "${AWS::Region}") and (
            parts[4] in ("", "*") or parts[2] == "s3")
    return False


def wildcard_statements(name: str, template: Template) -> list[Statement]:
    return [s for s in identity_statements(name, template)
            if any(is_wildcard_resource(r) for r in s.resources)]


# Managed policies nobody here needs: admin, power user, and every *FullAccess.
FORBIDDEN_MANAGED_POLICY = re.compile(r":policy/(.*/)?(AdministratorAccess|PowerUserAccess|"
                                      r"IAMFullAccess|\w*FullAccess(V2)?)\b")
# Services whose service-wide wildcard on every resource is a takeover or data-access grant.
SENSITIVE_SERVICES = frozenset({
    "iam", "sts", "s3", "kms", "secretsmanager", "ssm", "organizations", "ec2", "lambda",
    "sagemaker", "ecr", "rds", "cloudformation", "dynamodb", "logs", "ecs", "servicecatalog",
})
# Single actions that escalate privileges when granted on every resource.
ESCALATION_ACTIONS = frozenset({
    "iam:passrole", "iam:createpolicyversion", "iam:setdefaultpolicyversion",
    "iam:attachrolepolicy", "iam:attachuserpolicy", "iam:putrolepolicy", "iam:putuserpolicy",
    "iam:createaccesskey", "iam:updateassumerolepolicy", "iam:createloginprofile",
    "sts:assumerole", "lambda:updatefunctioncode",
})


# Data reads that, on every resource and without a condition, reach every secret, parameter,
# object or key of the account.
DATA_READ_ACTIONS = frozenset({
    "secretsmanager:getsecretvalue", "secretsmanager:batchgetsecretvalue",
    "ssm:getparameter", "ssm:getparameters", "ssm:getparametersbypath",
    "ssm:getparameterhistory", "s3:getobject", "s3:getobjectversion", "kms:decrypt",
    "dynamodb:getitem", "dynamodb:scan", "dynamodb:query",
})


# Issue 6 asks for exactly this: off by default, attached only when the launching user
# sets a parameter (a CloudFormation condition, Fn::If), for users who train on SageMaker.
OPT_IN_MANAGED_POLICIES: dict[tuple[str, str], str] = {
    ("notebook", "AmazonSageMakerFullAccess"):
        "opt-in by launch parameter AttachSageMakerFullAccess (default false), for users "
        "who run SageMaker training jobs from the notebook",
}


def _opted_in(template: str, policy: str, arns: Any) -> bool:
    """An allowed opt-in: listed above and attached only under a condition (Fn::If)."""
    return (template.split("@")[0], policy) in OPT_IN_MANAGED_POLICIES and "Fn::If" in str(arns)


def broad_grants(name: str, template: Template) -> list[Finding]:
    """No admin-style managed policy, no Action '*' or NotAction, no service-wide wildcard
    of a sensitive service on every resource, no escalation action on every resource, no
    unconditioned data read (secrets, parameters, objects, keys) on every resource."""
    findings = []
    for logical_id, resource in resources(template):
        arns = props(resource).get("ManagedPolicyArns", [])
        for text in renderings(arns):
            for m in FORBIDDEN_MANAGED_POLICY.finditer(text):
                if _opted_in(name, m.group(2), arns):
                    continue
                findings.append(Finding(name, logical_id, f"managed policy {m.group(2)}"))
    for st in identity_statements(name, template):
        label = st.sid or ",".join(st.actions)[:60]
        if "NotAction" in st.raw:
            findings.append(Finding(name, st.resource, f"Allow with NotAction ({label})"))
        for action in st.actions:
            if not isinstance(action, str):
                continue
            if action in ("*", "*:*"):
                findings.append(Finding(name, st.resource, f"Action '{action}' ({label})"))
                continue
            everywhere = any(is_wildcard_resource(r) for r in st.resources)
            service, _, verb = action.lower().partition(":")
            if everywhere and verb == "*" and service in SENSITIVE_SERVICES:
                findings.append(Finding(name, st.resource, f"{action} on every resource"))
            if everywhere and action.lower() in ESCALATION_ACTIONS:
                findings.append(Finding(name, st.resource,
                                        f"{action} on every resource (privilege escalation)"))
            if everywhere and action.lower() in DATA_READ_ACTIONS and "Condition" not in st.raw:
                findings.append(Finding(name, st.resource, f"{action} on every resource "
                                        f"without a condition ({label}): reads all such data"))
    return findings


# --- scripts in templates ---------------------------------------------------------------
def lifecycle_scripts(template: Template) -> dict[str, str]:
    """Notebook lifecycle scripts by '<logical id>.<OnCreate|OnStart>[i]', rendered with
    intrinsics replaced by shell-safe placeholders (PLACEHOLDER_<name>)."""
    scripts = {}
    for logical_id, resource in resources(template,
                                          "AWS::SageMaker::NotebookInstanceLifecycleConfig"):
        for hook in ("OnCreate", "OnStart"):
            for i, entry in enumerate(props(resource).get(hook) or []):
                content = entry.get("Content") if isinstance(entry, dict) else None
                if content is None:
                    continue
                scripts[f"{logical_id}.{hook}[{i}]"] = render_script(content)
    return scripts


def render_script(content: Any) -> str:
    if isinstance(content, str):
        try:
            return base64.b64decode(content, validate=True).decode()
        except ValueError:
            return content
    if isinstance(content, dict) and len(content) == 1:
        (fn, arg), = content.items()
        if fn == "Fn::Base64":
            return _placeholders(arg)
    return _placeholders(content)


def _placeholders(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict) and len(value) == 1:
        (fn, arg), = value.items()
        if fn == "Fn::Join":
            return arg[0].join(_placeholders(v) for v in arg[1])
        if fn == "Fn::Sub":
            text = arg if isinstance(arg, str) else arg[0]
            text = re.sub(r"\$\{(?!!)([A-Za-z0-9:._]+)\}",
                          lambda m: "PLACEHOLDER_" + re.sub(r"\W", "_", m.group(1)), text)
            return text.replace("${!", "${")
        if fn == "Fn::If":
            return _placeholders(arg[1])
        if fn == "Ref":
            return "PLACEHOLDER_" + re.sub(r"\W", "_", str(arg))
        if fn == "Fn::GetAtt":
            return "PLACEHOLDER_" + re.sub(r"\W", "_", "_".join(_as_list(arg)))
    return "PLACEHOLDER_VALUE"


# --- Python sources that might log a secret ---------------------------------------------
_LOG_CALLS = frozenset({"print", "debug", "info", "warning", "warn", "error", "exception",
                        "critical", "log", "write"})
_STREAMS = frozenset({"sys.stdout", "sys.stderr"})


def logged_secrets(where: str, source: str) -> list[Finding]:
    """print()/logging calls whose arguments name a secret-looking variable or attribute."""
    findings = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called not in _LOG_CALLS:
            continue
        if called == "write" and not (isinstance(func, ast.Attribute)
                                      and ast.unparse(func.value) in _STREAMS):
            continue  # a file write (the htpasswd file), not a log line
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            for sub in ast.walk(arg):
                ident = (sub.id if isinstance(sub, ast.Name)
                         else sub.attr if isinstance(sub, ast.Attribute) else None)
                if (ident and SECRET_NAME.search(ident) and not REFERENCE_NAME.search(ident)
                        and not ident.isupper()):
                    findings.append(Finding("source", f"{where}:{node.lineno}",
                                            f"{called}() is passed {ident}"))
    return findings
