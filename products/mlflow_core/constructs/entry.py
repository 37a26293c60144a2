"""Entry: the internal ALB, its security groups, and the VPC link for the private API.

Who may reach the load balancer (deploy-time choices, hence conditioned L1 rules):
- the VPC link's security group, always, on port 80 (the private API product);
- the published client security group, unless the auth mode is iam;
- ClientCidr if given, else the new VPC's CIDR, unless the auth mode is iam.
Never 0.0.0.0/0. Clients use HTTP on 80, or HTTPS on 443 when a certificate is given.
The VPC link always uses the HTTP listener on 80, whose ARN is published: an HTTP API
private integration sends plain HTTP unless it is told the certificate's server name,
which CloudFormation cannot read from the core at the private API's deploy time. The TLS
listener is an L1 resource under HasCertificate, so nothing depends on it.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from constructs import Construct

from products.common.nag import acknowledge

from ..conditions import CoreConditions

CONTAINER_PORT = 8080  # the auth proxy
HEALTH_PATH = "/elb-status"  # answered by the proxy without auth
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
HTTP_PORT = 80
HTTPS_PORT = 443
# Seconds a connection may pass no bytes. The default 60 s cuts proxied artifact uploads:
# MLflow writes the whole body to disk, then pushes it to S3, and only then answers. Matches
# the proxy's 3600 s proxy timeouts (the ALB allows up to 4000).
IDLE_TIMEOUT_S = 3600


class Entry(Construct):
    """Exposes `load_balancer`, `listener` (HTTP, the VPC link's), `tls_listener` (L1, under
    HasCertificate), `target_group`, `security_group`, `client_security_group`, `vpc_link`,
    `port` (clients' port, token) and `url` (token)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        vpc: ec2.IVpc,
        conditions: CoreConditions,
        certificate_arn: str,
        client_cidr: str,
        new_vpc_cidr: str,
        tls_host_name: str,
        name: str,
    ) -> None:
        super().__init__(scope, id_)
        self._conditions = conditions
        # Clients: 443 with a certificate, else 80. The VPC link: always 80.
        self.port = cdk.Token.as_number(conditions.if_(conditions.has_certificate, 443, 80))
        self.security_group = self._security_group(
            vpc, "SecurityGroup", "MLflow load balancer: VPC link and named clients only")
        self.vpc_link_security_group = self._security_group(
            vpc, "VpcLinkSecurityGroup", "MLflow VPC link: to the load balancer only")
        self.client_security_group = self._security_group(
            vpc, "ClientSecurityGroup",
            "Attach to clients of this MLflow server (besides their own groups)")
        # The client group only reaches the load balancer; a notebook in the private subnets
        # also needs HTTPS out (SSM, Secrets Manager and pip at start, through NAT or
        # endpoints). No ingress.
        self.notebook_security_group = self._security_group(
            vpc, "NotebookSecurityGroup",
            "MLflow notebooks: HTTPS out to AWS APIs and package indexes, no ingress")
        self.notebook_security_group.add_egress_rule(
            ec2.Peer.any_ipv4(), ec2.Port.tcp(443),
            "HTTPS to AWS APIs (NAT or VPC endpoints) and package indexes")
        self._admit(conditions, client_cidr, new_vpc_cidr)
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self, "LoadBalancer", vpc=vpc, internet_facing=False,
            security_group=self.security_group, drop_invalid_header_fields=True,
            idle_timeout=cdk.Duration.seconds(IDLE_TIMEOUT_S),
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        )
        self.target_group = elbv2.ApplicationTargetGroup(
            self, "Targets", vpc=vpc, port=CONTAINER_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP, target_type=elbv2.TargetType.IP,
            deregistration_delay=cdk.Duration.seconds(30),
            health_check=elbv2.HealthCheck(
                path=HEALTH_PATH, healthy_http_codes="200", interval=cdk.Duration.seconds(15),
                timeout=cdk.Duration.seconds(5), healthy_threshold_count=2,
                unhealthy_threshold_count=3,
            ),
        )
        self.listener = self.load_balancer.add_listener(
            "Listener", port=HTTP_PORT, protocol=elbv2.ApplicationProtocol.HTTP, open=False,
            default_target_groups=[self.target_group],
        )
        self.tls_listener = self._tls_listener(certificate_arn)
        self.url = cdk.Token.as_string(conditions.if_(
            conditions.has_certificate, f"https://{tls_host_name}",
            cdk.Fn.join("", ["http://", self.load_balancer.load_balancer_dns_name])))
        self.vpc_link = apigwv2.VpcLink(
            self, "VpcLink", vpc=vpc, security_groups=[self.vpc_link_security_group],
            vpc_link_name=name,
            subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        )
        acknowledge(
            self.load_balancer, "AwsSolutions-ELB2",
            "Internal load balancer in front of the auth proxy, which logs every request "
            "(client, user, path, status, latency) as JSON to CloudWatch Logs.",
        )

    def _security_group(self, vpc: ec2.IVpc, id_: str, description: str
                        ) -> ec2.SecurityGroup:
        return ec2.SecurityGroup(self, id_, vpc=vpc, description=description,
                                 allow_all_outbound=False)

    def _admit(self, conditions: CoreConditions, client_cidr: str, new_vpc_cidr: str) -> None:
        lb = self.security_group.security_group_id
        self._ingress("FromVpcLink", None, "From the API Gateway VPC link",
                      port=HTTP_PORT,
                      source_security_group_id=self.vpc_link_security_group.security_group_id)
        self._egress("VpcLinkToLoadBalancer", self.vpc_link_security_group, None, lb,
                     port=HTTP_PORT)
        self._ingress("FromClients", conditions.allow_clients,
                      "From the MLflow client security group",
                      source_security_group_id=self.client_security_group.security_group_id)
        self._egress("ClientsToLoadBalancer", self.client_security_group,
                     conditions.allow_clients, lb)
        cidr = cdk.Token.as_string(
            conditions.if_(conditions.has_client_cidr, client_cidr, new_vpc_cidr))
        rule = self._ingress("FromClientCidr", conditions.allow_client_cidr,
                             "From the client network (ClientCidr, or the new VPC)", cidr_ip=cidr)
        acknowledge(
            rule, "AwsSolutions-EC23",
            "The CIDR is a deploy-time value nag cannot read: ClientCidr, whose pattern only "
            "admits prefixes /16 to /32, or the new VPC's own 10.80.0.0/16.",
        )

    def _ingress(self, id_: str, condition: cdk.CfnCondition | None, description: str,
                 port: float | None = None, **source: str) -> ec2.CfnSecurityGroupIngress:
        port = self.port if port is None else port
        rule = ec2.CfnSecurityGroupIngress(
            self, id_, group_id=self.security_group.security_group_id, ip_protocol="tcp",
            from_port=port, to_port=port, description=description, **source)
        rule.cfn_options.condition = condition
        return rule

    def _egress(self, id_: str, group: ec2.SecurityGroup, condition: cdk.CfnCondition | None,
                destination: str, port: float | None = None) -> None:
        port = self.port if port is None else port
        rule = ec2.CfnSecurityGroupEgress(
            self, id_, group_id=group.security_group_id, ip_protocol="tcp",
            from_port=port, to_port=port, destination_security_group_id=destination,
            description="To the MLflow load balancer")
        rule.cfn_options.condition = condition

    def _tls_listener(self, certificate_arn: str) -> elbv2.CfnListener:
        listener = elbv2.CfnListener(
            self, "TlsListener",
            load_balancer_arn=self.load_balancer.load_balancer_arn,
            port=HTTPS_PORT, protocol="HTTPS", ssl_policy=TLS_POLICY,
            certificates=[elbv2.CfnListener.CertificateProperty(
                certificate_arn=certificate_arn)],
            default_actions=[elbv2.CfnListener.ActionProperty(
                type="forward", target_group_arn=self.target_group.target_group_arn)],
        )
        listener.cfn_options.condition = self._conditions.has_certificate
        # On an update from a template whose one listener was HTTPS on 443, that listener
        # must move to 80 before this one takes 443.
        listener.node.add_dependency(self.listener)
        return listener
