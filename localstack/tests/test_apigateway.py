"""API Gateway tags are one set per resource, as on AWS (TagResource/UntagResource/GetTags
references): create-time tags show in GetTags, UntagResource removes them from the resource."""


def test_create_time_tags_are_the_same_set_that_tag_and_untag_change(aws):
    apigw = aws("apigateway")
    api = apigw.create_rest_api(name="t", tags={"keep": "1", "drop": "2"})
    key = apigw.create_api_key(name="k", tags={"keep": "1", "drop": "2"})
    plan = apigw.create_usage_plan(name="p", tags={"keep": "1", "drop": "2"})
    arns = {
        "api": f"arn:aws:apigateway:us-east-2::/restapis/{api['id']}",
        "key": f"arn:aws:apigateway:us-east-2::/apikeys/{key['id']}",
        "plan": f"arn:aws:apigateway:us-east-2::/usageplans/{plan['id']}",
    }
    inline = {
        "api": lambda: apigw.get_rest_api(restApiId=api["id"]).get("tags", {}),
        "key": lambda: apigw.get_api_key(apiKey=key["id"]).get("tags", {}),
        "plan": lambda: apigw.get_usage_plan(usagePlanId=plan["id"]).get("tags", {}),
    }
    for name, arn in arns.items():
        assert apigw.get_tags(resourceArn=arn)["tags"] == {"keep": "1", "drop": "2"}, name
        apigw.untag_resource(resourceArn=arn, tagKeys=["drop"])
        apigw.tag_resource(resourceArn=arn, tags={"added": "3"})
        want = {"keep": "1", "added": "3"}
        assert apigw.get_tags(resourceArn=arn)["tags"] == want, name
        assert inline[name]() == want, name


def test_private_integration_keeps_its_target(aws):
    """PutIntegration's integrationTarget (the ALB of a VPC link V2 integration) reads back from
    GetIntegration, GetResources(embed=methods) and UpdateIntegration, with the connectionId."""
    apigw = aws("apigateway")
    api = apigw.create_rest_api(name="private")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    proxy = apigw.create_resource(restApiId=api, parentId=root, pathPart="{proxy+}")["id"]
    apigw.put_method(restApiId=api, resourceId=proxy, httpMethod="ANY", authorizationType="NONE")
    alb = "arn:aws:elasticloadbalancing:us-east-2:123456789012:loadbalancer/app/awseb-AWSEB-abc/0123456789abcdef"
    put = apigw.put_integration(
        restApiId=api,
        resourceId=proxy,
        httpMethod="ANY",
        type="HTTP_PROXY",
        integrationHttpMethod="ANY",
        uri="http://backend.internal/{proxy}",
        connectionType="VPC_LINK",
        connectionId="abcd1234",
        integrationTarget=alb,
    )
    assert (put["connectionType"], put["connectionId"], put["integrationTarget"]) == (
        "VPC_LINK",
        "abcd1234",
        alb,
    )

    def reads():
        got = apigw.get_integration(restApiId=api, resourceId=proxy, httpMethod="ANY")
        embedded = next(
            r for r in apigw.get_resources(restApiId=api, embed=["methods"])["items"] if r["id"] == proxy
        )["resourceMethods"]["ANY"]["methodIntegration"]
        return [(i.get("connectionId"), i.get("integrationTarget")) for i in (got, embedded)]

    assert reads() == [("abcd1234", alb)] * 2
    other = alb.replace("abc/", "xyz/")
    updated = apigw.update_integration(
        restApiId=api,
        resourceId=proxy,
        httpMethod="ANY",
        patchOperations=[{"op": "replace", "path": "/integrationTarget", "value": other}],
    )
    assert updated["integrationTarget"] == other
    assert reads() == [("abcd1234", other)] * 2

    apigw.put_integration(
        restApiId=api,
        resourceId=proxy,
        httpMethod="ANY",
        type="HTTP_PROXY",
        integrationHttpMethod="ANY",
        uri="http://example.com/{proxy}",
    )
    assert reads() == [(None, None)] * 2
