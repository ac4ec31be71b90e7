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
