"""Entry: the internal ALB, its security groups, and the VPC link for the private API.

Who may reach the load balancer (deploy-time choices, hence conditioned L1 rules):
- the VPC link's security group, always (the private API product);
- the published client security group, unless the auth mode is iam;
- ClientCidr if given, else the new VPC's CIDR, unless the auth mode is iam.
Never 0.0.0.0/0. The listener is HTTP on 80, or HTTPS on 443 when a certificate is given:
one listener whose port, protocol and certificate are Fn::If, so its ARN (published for
the private API) does not depend on the choice.
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


class Entry(Construct):
    """Exposes `load_balancer`, `listener`, `target_group`, `security_group`,
    `client_security_group`, `vpc_link`, `port` (token) and `url` (token)."""

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
        name: str,
    ) -> None:
        super().__init__(scope, id_)
        self._conditions = conditions
        self.port = cdk.Token.as_number(conditions.if_(conditions.has_certificate, 443, 80))
        self.security_group = self._security_group(
            vpc, "SecurityGroup", "MLflow load balancer: VPC link and named clients only")
        self.vpc_link_security_group = self._security_group(
            vpc, "VpcLinkSecurityGroup", "MLflow VPC link: to the load balancer only")
        self.client_security_group = self._security_group(
            vpc, "ClientSecurityGroup",
            "Attach to clients of this MLflow server (besides their own groups)")
        self._admit(conditions, client_cidr, new_vpc_cidr)
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self, "LoadBalancer", vpc=vpc, internet_facing=False,
            security_group=self.security_group, drop_invalid_header_fields=True,
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
            "Listener", port=80, protocol=elbv2.ApplicationProtocol.HTTP, open=False,
            default_target_groups=[self.target_group],
        )
        self._tls_when_certificate(certificate_arn)
        self.url = cdk.Fn.join("", [
            cdk.Token.as_string(conditions.if_(conditions.has_certificate, "https://",
                                               "http://")),
            self.load_balancer.load_balancer_dns_name,
        ])
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
                      source_security_group_id=self.vpc_link_security_group.security_group_id)
        self._egress("VpcLinkToLoadBalancer", self.vpc_link_security_group, None, lb)
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
                 **source: str) -> ec2.CfnSecurityGroupIngress:
        rule = ec2.CfnSecurityGroupIngress(
            self, id_, group_id=self.security_group.security_group_id, ip_protocol="tcp",
            from_port=self.port, to_port=self.port, description=description, **source)
        rule.cfn_options.condition = condition
        return rule

    def _egress(self, id_: str, group: ec2.SecurityGroup, condition: cdk.CfnCondition | None,
                destination: str) -> None:
        rule = ec2.CfnSecurityGroupEgress(
            self, id_, group_id=group.security_group_id, ip_protocol="tcp",
            from_port=self.port, to_port=self.port, destination_security_group_id=destination,
            description="To the MLflow load balancer")
        rule.cfn_options.condition = condition

    def _tls_when_certificate(self, certificate_arn: str) -> None:
        cfn = self.listener.node.default_child
        assert isinstance(cfn, elbv2.CfnListener)
        c = self._conditions
        cfn.port = self.port
        cfn.protocol = cdk.Token.as_string(c.if_(c.has_certificate, "HTTPS", "HTTP"))
        cfn.certificates = c.if_(c.has_certificate, [{"CertificateArn": certificate_arn}],
                                 cdk.Aws.NO_VALUE)
        cfn.ssl_policy = cdk.Token.as_string(
            c.if_(c.has_certificate, TLS_POLICY, cdk.Aws.NO_VALUE))
